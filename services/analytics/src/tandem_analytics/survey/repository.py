from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.models import CoachingAdoptionReport, NpsResponse, SurveyMessage

ANSWERS = (NpsResponse, CoachingAdoptionReport)
# One answer per person and survey round: a later answer replaces an earlier one.
KEYS: dict[type[NpsResponse | CoachingAdoptionReport], list[str]] = {
    NpsResponse: ["program_id", "cohort", "respondent_id"],
    CoachingAdoptionReport: ["program_id", "quarter", "respondent_id"],
}


async def claim_message(session: AsyncSession, vendor_id: UUID, webhook_id: str) -> bool:
    """Record the message id; False when it was received before (the racing loser waits, then gets False)."""
    result = await session.execute(
        insert(SurveyMessage)
        .values(vendor_id=vendor_id, webhook_id=webhook_id)
        .on_conflict_do_nothing()
        .returning(SurveyMessage.webhook_id)
    )
    return result.first() is not None


async def received_at(session: AsyncSession, vendor_id: UUID, webhook_id: str) -> datetime | None:
    found: datetime | None = await session.scalar(
        select(SurveyMessage.received_at).where(
            SurveyMessage.vendor_id == vendor_id, SurveyMessage.webhook_id == webhook_id
        )
    )
    return found


async def upsert_answer(
    session: AsyncSession, model: type[NpsResponse | CoachingAdoptionReport], values: dict[str, Any]
) -> bool:
    """Store the answer unless a later one (by `responded_at`) of the same person is kept; True if stored."""
    statement = insert(model).values(values)
    keys = KEYS[model]
    changed = {k: statement.excluded[k] for k in values if k not in keys}
    result = await session.execute(
        statement.on_conflict_do_update(
            index_elements=keys,
            set_=changed,
            where=model.responded_at <= statement.excluded.responded_at,
        ).returning(model.respondent_id)
    )
    return result.first() is not None


def answers_statement(model: Any, person_id: UUID) -> Select[tuple[Any]]:
    return select(model).where(model.respondent_id == person_id).order_by(model.responded_at)


async def delete_answers(session: AsyncSession, person_id: UUID) -> dict[str, int]:
    counts: dict[str, int] = {}
    for model in ANSWERS:
        result = await session.execute(
            delete(model)
            .where(model.respondent_id == person_id)
            .returning(model.respondent_id)
            .execution_options(synchronize_session=False)
        )
        counts[model.__tablename__] = len(result.all())
    return counts


async def rename_respondent(session: AsyncSession, person_id: UUID, alias: UUID) -> dict[str, int]:
    counts: dict[str, int] = {}
    for model in ANSWERS:
        result = await session.execute(
            update(model)
            .where(model.respondent_id == person_id)
            .values(respondent_id=alias)
            .returning(model.respondent_id)
            .execution_options(synchronize_session=False)
        )
        counts[model.__tablename__] = len(result.all())
    return counts
