"""Idempotent upserts of the program-operations facts (issue 15 events).

Every write is keyed by the producer's id and guarded by the fact's own order (revision, time), so
events may arrive in any order and any number of times and leave the same rows.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, or_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.models import (
    AgreementFact,
    AttendanceFact,
    EscalationFact,
    GroupSeatFact,
    ProgramStatusFact,
    ProposalFact,
    ProviderFact,
    SlaOutcomeFact,
    SponsorActionFact,
)


async def record_attendance(session: AsyncSession, values: dict[str, Any]) -> None:
    """The session's outcome at this revision; a lower or equal revision never replaces a higher one."""
    stmt = insert(AttendanceFact).values(values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[AttendanceFact.session_id],
            set_={k: stmt.excluded[k] for k in values if k != "session_id"},
            where=AttendanceFact.revision < stmt.excluded.revision,
        )
    )


async def record_sla_outcome(session: AsyncSession, values: dict[str, Any]) -> None:
    # A clock ends once: met or breached. The first word stays.
    await session.execute(
        insert(SlaOutcomeFact)
        .values(values)
        .on_conflict_do_nothing(
            index_elements=[SlaOutcomeFact.engagement_id, SlaOutcomeFact.sla, SlaOutcomeFact.due_at]
        )
    )


async def open_escalation(session: AsyncSession, values: dict[str, Any]) -> None:
    stmt = insert(EscalationFact).values(values)
    opened = ("match_id", "due_at", "opened_at", "rebreach")
    # A resolution applied first left a row without its opening: fill that in, keep the resolution.
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[EscalationFact.escalation_id],
            set_={k: stmt.excluded[k] for k in opened},
            where=EscalationFact.opened_at.is_(None),
        )
    )


async def resolve_escalation(session: AsyncSession, values: dict[str, Any]) -> None:
    stmt = insert(EscalationFact).values({**values, "rebreach": False})
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[EscalationFact.escalation_id],
            set_={"resolved_at": stmt.excluded.resolved_at},
            where=EscalationFact.resolved_at.is_(None),
        )
    )


async def log_sponsor_action(session: AsyncSession, values: dict[str, Any]) -> None:
    """A correction comes as the same action with a later `logged_at`: the latest wins."""
    stmt = insert(SponsorActionFact).values(values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[SponsorActionFact.action_id],
            set_={k: stmt.excluded[k] for k in values if k != "action_id"},
            where=or_(
                SponsorActionFact.logged_at.is_(None), SponsorActionFact.logged_at < stmt.excluded.logged_at
            ),
        )
    )


async def retract_sponsor_action(session: AsyncSession, values: dict[str, Any]) -> None:
    stmt = insert(SponsorActionFact).values(values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[SponsorActionFact.action_id],
            set_={"retracted_at": stmt.excluded.retracted_at},
            where=SponsorActionFact.retracted_at.is_(None),
        )
    )


async def record_program_status(session: AsyncSession, values: dict[str, Any]) -> None:
    stmt = insert(ProgramStatusFact).values(values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[ProgramStatusFact.program_id, ProgramStatusFact.changed_at],
            set_={"status": stmt.excluded.status},
        )
    )


async def change_capacity(session: AsyncSession, values: dict[str, Any], *, changed_at: datetime) -> None:
    """The utilization denominator: the newest capacity change wins, whatever order they arrive in."""
    stmt = insert(ProviderFact).values(
        {**values, "registered_at": changed_at, "capacity_changed_at": changed_at}
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[ProviderFact.provider_id],
            set_={
                "capacity": stmt.excluded.capacity,
                "capacity_changed_at": stmt.excluded.capacity_changed_at,
            },
            where=or_(
                ProviderFact.capacity_changed_at.is_(None),
                ProviderFact.capacity_changed_at < stmt.excluded.capacity_changed_at,
            ),
        )
    )


def registered_capacity(excluded_capacity: Any) -> Any:
    """A registration replayed after a capacity change must not undo the change."""
    return case((ProviderFact.capacity_changed_at.is_(None), excluded_capacity), else_=ProviderFact.capacity)


async def record_agreement(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(AgreementFact).values(values).on_conflict_do_nothing())


async def record_proposal(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(ProposalFact).values(values).on_conflict_do_nothing())


async def book_seat(session: AsyncSession, values: dict[str, Any]) -> None:
    stmt = insert(GroupSeatFact).values(values)
    booking = ("starts_at", "from_waitlist", "booked_at")
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[GroupSeatFact.seat_id],
            set_={k: stmt.excluded[k] for k in booking},
            where=GroupSeatFact.booked_at.is_(None),
        )
    )


async def release_seat(session: AsyncSession, values: dict[str, Any]) -> None:
    stmt = insert(GroupSeatFact).values({**values, "from_waitlist": False})
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[GroupSeatFact.seat_id],
            set_={"released_at": stmt.excluded.released_at, "release_reason": stmt.excluded.release_reason},
            where=GroupSeatFact.released_at.is_(None),
        )
    )


async def forget_person(session: AsyncSession, person_id: Any) -> dict[str, int]:
    """Erasure: the operations facts naming the person as participant (or seat holder) are deleted."""
    counts: dict[str, int] = {}
    for model, column in (
        (AttendanceFact, AttendanceFact.participant_id),
        (SponsorActionFact, SponsorActionFact.participant_id),
        (AgreementFact, AgreementFact.participant_id),
        (ProposalFact, ProposalFact.participant_id),
        (GroupSeatFact, GroupSeatFact.person_id),
    ):
        result = await session.execute(
            delete(model)
            .where(column == person_id)
            .returning(column)
            .execution_options(synchronize_session=False)
        )
        counts[model.__tablename__] = len(result.all())
    return counts
