"""Consent's data-subject requests and retention purges, answered for scheduling's part."""

from pydantic import SecretStr

from tandem_kit.events import Subscription
from tandem_kit.oauth_client import ServiceClient
from tandem_kit.privacy import person_data_subscription, retention_subscription
from tandem_scheduling.privacy import retention, service

SERVICE = "scheduling"


def data_subject_requests(consent: ServiceClient, *, erasure_key: SecretStr) -> Subscription:
    """Answers every access or erasure request that lists scheduling, with a receipt to `consent`."""
    return person_data_subscription(
        service=SERVICE,
        consent=consent,
        export=service.export_person,
        erase=service.erase_person,
        erasure_key=erasure_key,
    )


def retention_purges() -> Subscription:
    """Purges scheduling's expired categories when consent's retention run asks (others are ignored)."""
    return retention_subscription(
        service=SERVICE, purges={retention.SESSION_NOTES: retention.purge_session_notes}
    )
