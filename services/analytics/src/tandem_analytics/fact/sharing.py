"""The `vendor_sharing` consent: a vendor may send analytics telemetry about a person only while it is
granted (docs/analytics.md, "Ingest"). Kept as of its change time, like the `analytics` consent."""

from datetime import datetime
from uuid import UUID

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.models import VendorSharingConsent

VENDOR_SHARING = "vendor_sharing"


async def set_consent(session: AsyncSession, person_id: UUID, *, granted: bool, at: datetime) -> bool:
    """Record the consent as of `at`; False when a later change is already recorded."""
    values = insert(VendorSharingConsent).values(person_id=person_id, granted=granted, changed_at=at)
    statement = values.on_conflict_do_update(
        index_elements=[VendorSharingConsent.person_id],
        set_={"granted": values.excluded.granted, "changed_at": values.excluded.changed_at},
        where=VendorSharingConsent.changed_at < values.excluded.changed_at,
    ).returning(VendorSharingConsent.person_id)
    return (await session.execute(statement)).first() is not None
