"""The history of each person's `analytics` consent, as periods a fact's time can be checked against.

Every grant and withdrawal is kept (`analytics_consent_changes`); the person's periods are rebuilt
from all of them on each change, so a late or repeated event leaves the same periods.
"""

from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.models import ConsentChange, ConsentPeriod

Period = tuple[datetime, datetime | None]


def periods(changes: list[tuple[datetime, bool]]) -> list[Period]:
    """Granted spans from changes in any order: a grant opens one (if none is open), a withdrawal closes it."""
    found: list[Period] = []
    opened: datetime | None = None
    for at, granted in sorted(changes):
        if granted and opened is None:
            opened = at
        elif not granted and opened is not None:
            found.append((opened, at))
            opened = None
    if opened is not None:
        found.append((opened, None))
    return found


async def record_change(session: AsyncSession, person_id: UUID, *, granted: bool, at: datetime) -> None:
    await session.execute(
        insert(ConsentChange)
        .values(person_id=person_id, changed_at=at, granted=granted)
        .on_conflict_do_update(
            index_elements=[ConsentChange.person_id, ConsentChange.changed_at], set_={"granted": granted}
        )
    )
    rows = await session.execute(
        select(ConsentChange.changed_at, ConsentChange.granted).where(ConsentChange.person_id == person_id)
    )
    await session.execute(delete(ConsentPeriod).where(ConsentPeriod.person_id == person_id))
    spans = periods([(at, granted) for at, granted in rows.tuples()])
    if spans:
        await session.execute(
            insert(ConsentPeriod).values(
                [{"person_id": person_id, "granted_from": f, "granted_until": u} for f, u in spans]
            )
        )


async def forget(session: AsyncSession, person_id: UUID) -> int:
    """Erasure: the consent history goes with the person (their facts then count nowhere)."""
    await session.execute(delete(ConsentChange).where(ConsentChange.person_id == person_id))
    result = await session.execute(
        delete(ConsentPeriod).where(ConsentPeriod.person_id == person_id).returning(ConsentPeriod.person_id)
    )
    return len(result.all())
