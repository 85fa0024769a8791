"""The directory projection's own subscriptions: new people and reactivations change only facts.

Deactivations and job changes also act on matches; `review/consumers.py` applies them.
"""

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.events import EventEnvelope, Subscription, typed
from tandem_matching.directory import schemas, service

log = structlog.get_logger("tandem.matching.directory")


async def on_person_provisioned(
    session: AsyncSession, _envelope: EventEnvelope, data: schemas.PersonProvisioned
) -> None:
    await service.provisioned(session, data)


async def on_person_reactivated(
    session: AsyncSession, _envelope: EventEnvelope, data: schemas.PersonReactivated
) -> None:
    # A reactivated provider is offered again (the pool reads the projection); matches ended when
    # the person left are not restarted: that is a program manager's decision.
    applied = await service.set_active(session, data.person_id, active=True, at=data.reactivated_at)
    log.info("matching.directory.reactivated", person_id=str(data.person_id), applied=applied)


PERSON_PROVISIONED = Subscription(
    name="matching-person-provisioned",
    subjects=["tandem.gateway.PersonProvisioned"],
    handler=typed(schemas.PersonProvisioned, on_person_provisioned),
)
PERSON_REACTIVATED = Subscription(
    name="matching-person-reactivated",
    subjects=["tandem.gateway.PersonReactivated"],
    handler=typed(schemas.PersonReactivated, on_person_reactivated),
)
