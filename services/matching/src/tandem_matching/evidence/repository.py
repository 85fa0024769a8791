"""Training evidence rows: upserts keyed by the gateway's evidence id, and the facts gates count."""

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_matching.eligibility import Evidence
from tandem_matching.models import TrainingEvidence


async def record(
    session: AsyncSession,
    *,
    evidence_id: UUID,
    person_id: UUID,
    program_id: UUID,
    item: str,
    statement_id: str,
    verb: str,
    counts: bool,
    score_scaled: float | None,
    achieved_at: datetime,
) -> None:
    """Insert or refresh the evidence; a retraction already on the row stays (no resurrection)."""
    values = {
        "person_id": person_id,
        "program_id": program_id,
        "item": item,
        "statement_id": statement_id,
        "verb": verb,
        "counts": counts,
        "score_scaled": score_scaled,
        "achieved_at": achieved_at,
    }
    statement = insert(TrainingEvidence).values(id=evidence_id, **values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[TrainingEvidence.id],
            set_={**values, "updated_at": func.now()},
        )
    )


async def retract(
    session: AsyncSession,
    *,
    evidence_id: UUID,
    person_id: UUID,
    program_id: UUID,
    item: str,
    statement_id: str,
    voided_by: str,
    retracted_at: datetime,
) -> None:
    """Mark the evidence retracted; unknown evidence leaves a retracted row its late record fills in."""
    statement = insert(TrainingEvidence).values(
        id=evidence_id,
        person_id=person_id,
        program_id=program_id,
        item=item,
        statement_id=statement_id,
        counts=False,
        retracted_at=retracted_at,
        voided_by=voided_by,
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[TrainingEvidence.id],
            set_={"retracted_at": retracted_at, "voided_by": voided_by, "updated_at": func.now()},
        )
    )


async def counting(session: AsyncSession, program_id: UUID, person_id: UUID) -> list[Evidence]:
    """The person's evidence in the program that counts toward a gate: counting, dated, not retracted."""
    rows = await session.scalars(
        select(TrainingEvidence).where(
            TrainingEvidence.program_id == program_id,
            TrainingEvidence.person_id == person_id,
            TrainingEvidence.counts.is_(True),
            TrainingEvidence.retracted_at.is_(None),
            TrainingEvidence.achieved_at.is_not(None),
        )
    )
    return [
        Evidence(item=r.item, evidence_id=r.id, statement_id=r.statement_id, achieved_at=r.achieved_at)
        for r in rows
        if r.achieved_at is not None
    ]


async def counting_ids(
    session: AsyncSession, program_id: UUID, person_id: UUID, ids: Sequence[UUID]
) -> set[UUID]:
    """Which of `ids` are the person's counting, dated, not retracted evidence in the program."""
    rows = await session.scalars(
        select(TrainingEvidence.id).where(
            TrainingEvidence.id.in_(ids),
            TrainingEvidence.program_id == program_id,
            TrainingEvidence.person_id == person_id,
            TrainingEvidence.counts.is_(True),
            TrainingEvidence.retracted_at.is_(None),
            TrainingEvidence.achieved_at.is_not(None),
        )
    )
    return set(rows.all())


async def of_person(session: AsyncSession, person_id: UUID) -> Sequence[TrainingEvidence]:
    rows = await session.scalars(
        select(TrainingEvidence).where(TrainingEvidence.person_id == person_id).order_by(TrainingEvidence.id)
    )
    return rows.all()


async def erase_person(session: AsyncSession, person_id: UUID) -> int:
    result = await session.execute(delete(TrainingEvidence).where(TrainingEvidence.person_id == person_id))
    return int(getattr(result, "rowcount", 0) or 0)
