"""The connectors' part of a person's data: sync failures name a record by the HRIS's id (never by
name), and that id is the person's `external_id`. Registered with the gateway's privacy registry."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_gateway.directory.service import erased_key
from tandem_gateway.models import HrisSyncFailure, HrisSyncRun, Person


async def _failures(session: AsyncSession, person_id: UUID) -> list[HrisSyncFailure]:
    person = await session.get(Person, person_id)
    if person is None or person.external_id is None:
        return []
    rows = (await session.scalars(select(HrisSyncFailure).order_by(HrisSyncFailure.id))).all()
    # The directory's own erasure may have run first: its external id is then the keyed pseudonym.
    return [f for f in rows if person.external_id in (f.external_id, erased_key(f.external_id))]


async def export_person(session: AsyncSession, person_id: UUID) -> list[dict[str, Any]]:
    failures = await _failures(session, person_id)
    runs = {
        r.id: r
        for r in await session.scalars(
            select(HrisSyncRun).where(HrisSyncRun.id.in_([f.run_id for f in failures]))
        )
    }
    return [
        {
            "run_id": str(f.run_id),
            "run_started_at": runs[f.run_id].started_at.isoformat(),
            "external_id": f.external_id,
            "reason": f.reason,
            "attribute": f.attribute,
        }
        for f in failures
    ]


async def erase_person(session: AsyncSession, person_id: UUID) -> int:
    failures = await _failures(session, person_id)
    if not failures:
        return 0
    await session.execute(delete(HrisSyncFailure).where(HrisSyncFailure.id.in_([f.id for f in failures])))
    return len(failures)
