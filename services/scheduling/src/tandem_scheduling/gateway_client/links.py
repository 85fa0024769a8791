"""Who has a calendar connected, from the gateway's `CalendarConnected` / `CalendarConnectionBroken`
events: people without one are `unverified` without asking the gateway (no round trip per booking).

A person who just connected is asked about once the event is applied (usually within a second); until
then they count as without a calendar, as they did a moment before.
"""

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import structlog
from pydantic import AwareDatetime, BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.events import EventEnvelope, Subscription, typed
from tandem_scheduling.models import CalendarLink

log = structlog.get_logger("tandem.scheduling.calendars")


class CalendarConnected(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    person_id: UUID
    connected_at: AwareDatetime


class CalendarConnectionBroken(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    person_id: UUID
    reason: str
    broken_at: AwareDatetime


async def connected_people(session: AsyncSession, person_ids: Sequence[UUID]) -> set[UUID]:
    rows = await session.scalars(
        select(CalendarLink.person_id).where(CalendarLink.person_id.in_(person_ids), CalendarLink.connected)
    )
    return set(rows)


async def record(session: AsyncSession, person_id: UUID, *, connected: bool, at: datetime) -> None:
    """Upsert the link; an event older than the one already applied changes nothing."""
    statement = insert(CalendarLink).values(person_id=person_id, connected=connected, changed_at=at)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[CalendarLink.person_id],
            set_={"connected": connected, "changed_at": at},
            where=CalendarLink.changed_at < at,
        )
    )


async def on_connected(session: AsyncSession, _envelope: EventEnvelope, data: CalendarConnected) -> None:
    await record(session, data.person_id, connected=True, at=data.connected_at)


async def on_broken(session: AsyncSession, _envelope: EventEnvelope, data: CalendarConnectionBroken) -> None:
    # A broken grant (invalid_grant, revoked) is still a calendar: the gateway answers `unknown` for it,
    # and slots say so. Only a disconnection leaves the person without one.
    if data.reason == "disconnected":
        await record(session, data.person_id, connected=False, at=data.broken_at)


CALENDAR_CONNECTED = Subscription(
    name="scheduling-calendar-connected",
    subjects=["tandem.gateway.CalendarConnected"],
    handler=typed(CalendarConnected, on_connected),
)
CALENDAR_BROKEN = Subscription(
    name="scheduling-calendar-broken",
    subjects=["tandem.gateway.CalendarConnectionBroken"],
    handler=typed(CalendarConnectionBroken, on_broken),
)
