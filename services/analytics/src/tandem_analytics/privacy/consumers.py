"""The consumer that answers consent's access and erasure requests for analytics."""

from tandem_analytics.privacy import service
from tandem_kit.events import Subscription
from tandem_kit.oauth_client import ServiceClient
from tandem_kit.privacy import person_data_subscription

SERVICE = "analytics"


def data_subject_requests(consent: ServiceClient) -> Subscription:
    """Answers `DataSubjectRequestOpened` listing analytics, with a receipt sent through `consent`."""
    return person_data_subscription(
        service=SERVICE, consent=consent, export=service.export_person, erase=service.erase_person
    )
