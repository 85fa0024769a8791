"""Privacy of the dual-track handoffs and the sponsor action log (access, erasure, retention).

A handoff is about its participant: exported to them, deleted with them (its goals are copies of their
intake answers). A sponsor action is about both the mentee and the mentor: each gets it in an export;
erasing either de-identifies their side (one stand-in per request, so counts stay) and drops the free
text. Retention follows the records the content came from: handoff goals go with the intake answers
(`intake_responses`), sponsor-action descriptions once the match ended (`match_proposals`).
"""

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_matching.models import Handoff, Match, Program, SponsorAction
from tandem_matching.privacy.repository import match_end

HANDOFF_COLUMNS = (
    "id",
    "program_id",
    "from_match_id",
    "to_match_id",
    "shared_context",
    "context",
    "prepared_at",
)
SPONSOR_COLUMNS = (
    "id",
    "match_id",
    "program_id",
    "kind",
    "action_date",
    "outcome",
    "description",
    "logged_at",
)


async def export(session: AsyncSession, person_id: UUID) -> tuple[Sequence[Handoff], Sequence[SponsorAction]]:
    """The person's handoffs (as participant) and the sponsor actions they are mentee or mentor of."""
    handoffs = (await session.scalars(select(Handoff).where(Handoff.participant_id == person_id))).all()
    actions = (
        await session.scalars(
            select(SponsorAction)
            .where(
                or_(SponsorAction.participant_id == person_id, SponsorAction.mentor_person_id == person_id)
            )
            .order_by(SponsorAction.action_date, SponsorAction.id)
        )
    ).all()
    return handoffs, actions


def _actor(person_id: UUID) -> str:
    return f"person:{person_id}"


async def erase(session: AsyncSession, person_id: UUID, pseudonym: UUID) -> tuple[int, int]:
    """(deleted, de-identified) rows: the participant's handoffs go; sponsor actions keep their kind,
    date and outcome under the stand-in, without the description."""
    deleted = await session.execute(delete(Handoff).where(Handoff.participant_id == person_id))
    relinked = await session.execute(
        update(Handoff).where(Handoff.mentor_person_id == person_id).values(mentor_person_id=pseudonym)
    )
    changed = 0
    for column, by in (
        (SponsorAction.participant_id, None),
        (SponsorAction.mentor_person_id, SponsorAction.logged_by),
    ):
        values: dict[Any, Any] = {column: pseudonym, SponsorAction.description: None}
        result = await session.execute(update(SponsorAction).where(column == person_id).values(values))
        changed += _count(result)
        if by is not None:
            await session.execute(
                update(SponsorAction).where(by == _actor(person_id)).values({by: _actor(pseudonym)})
            )
    await session.execute(
        update(SponsorAction)
        .where(SponsorAction.retracted_by == _actor(person_id))
        .values(retracted_by=_actor(pseudonym))
    )
    return _count(deleted), changed + _count(relinked)


async def held(session: AsyncSession, person_id: UUID) -> bool:
    found = await session.scalar(
        select(SponsorAction.id)
        .where(or_(SponsorAction.participant_id == person_id, SponsorAction.mentor_person_id == person_id))
        .limit(1)
    )
    handoff = await session.scalar(select(Handoff.id).where(Handoff.participant_id == person_id).limit(1))
    return found is not None or handoff is not None


async def purge_handoff_context(session: AsyncSession, intake_ids: Collection[UUID]) -> int:
    """The goals and progress copied into handoffs of these intakes (their answers were purged)."""
    if not intake_ids:
        return 0
    result = await session.execute(
        update(Handoff).where(Handoff.intake_id.in_(intake_ids), Handoff.context != {}).values(context={})
    )
    return _count(result)


async def purge_sponsor_descriptions(session: AsyncSession, cutoff: datetime) -> int:
    """Descriptions of sponsor actions whose match ended before `cutoff`."""
    ended = (
        select(Match.id)
        .join(Program, Program.id == Match.program_id)
        .where(Match.status != "active", match_end() < cutoff)
    )
    result = await session.execute(
        update(SponsorAction)
        .where(SponsorAction.match_id.in_(ended), SponsorAction.description.is_not(None))
        .values(description=None)
    )
    return _count(result)


def _count(result: Any) -> int:
    return int(result.rowcount or 0)
