"""The consumers that answer consent's access and erasure requests and its retention runs."""

from pydantic import SecretStr

from tandem_analytics.privacy import retention, service
from tandem_kit.events import Subscription
from tandem_kit.oauth_client import ServiceClient
from tandem_kit.privacy import person_data_subscription, retention_subscription

SERVICE = "analytics"


def data_subject_requests(consent: ServiceClient, *, erasure_key: SecretStr) -> Subscription:
    """Answers `DataSubjectRequestOpened` listing analytics, with a receipt sent through `consent`."""
    return person_data_subscription(
        service=SERVICE,
        consent=consent,
        export=service.export_person,
        erase=service.erase_person,
        erasure_key=erasure_key,
    )


def retention_purges() -> Subscription:
    """Purges analytics' expired categories when consent's retention run asks."""
    return retention_subscription(service=SERVICE, purges=retention.PURGES)
