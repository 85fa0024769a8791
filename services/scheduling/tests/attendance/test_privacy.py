"""Correction reasons are free text: access exports them, erasure and retention remove them."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from tandem_kit.testing import TestKeys, sessionmaker_of
from tandem_scheduling.models import AttendanceMark
from tandem_scheduling.privacy import retention
from tandem_scheduling.privacy import service as privacy_service

API = "/api/v1/scheduling"
WRITE = ("scheduling:read", "scheduling:write")
REASON = "She told me about her health; we stopped early."


async def marked_and_corrected(client: httpx.AsyncClient, keys: TestKeys, engagement: Any, row: Any) -> None:
    provider = keys.headers(*WRITE, person_id=str(engagement.provider_person_id), roles=["coach"])
    url = f"{API}/sessions/{row.id}/attendance"
    assert (await client.put(url, json={"outcome": "attended"}, headers=provider)).status_code == 200
    fixed = await client.put(url, json={"outcome": "cancelled_late", "reason": REASON}, headers=provider)
    assert fixed.status_code == 200, fixed.text


async def marks(app: FastAPI, row: Any) -> list[tuple[int, str, str | None]]:
    async with sessionmaker_of(app)() as session:
        found = await session.scalars(
            select(AttendanceMark)
            .where(AttendanceMark.session_id == row.id)
            .order_by(AttendanceMark.revision)
        )
        return [(m.revision, m.recorded_by, m.reason) for m in found]


async def test_access_exports_and_erasure_removes_the_reasons(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, make_session: Any
) -> None:
    engagement = await make_engagement()
    row = await make_session(engagement)
    await marked_and_corrected(client, keys, engagement, row)
    provider = engagement.provider_person_id
    async with sessionmaker_of(app)() as session:
        exported = await privacy_service.export_person(session, provider)
        assert exported.export is not None
        assert [
            (m["revision"], m["recorded_by"], m["reason"]) for m in exported.export["attendance_marks"]
        ] == [
            (1, str(provider), None),
            (2, str(provider), REASON),
        ]
        # The participant's export does not name who else recorded a mark.
        theirs = await privacy_service.export_person(session, engagement.participant_id)
        assert theirs.export is not None
        assert [m["recorded_by"] for m in theirs.export["attendance_marks"]] == [None, None]
        await privacy_service.erase_person(session, provider)
        await session.commit()
    left = await marks(app, row)
    assert [(r, reason) for r, _, reason in left] == [(1, None), (2, None)]
    assert str(provider) not in {by for _, by, _ in left}


async def test_retention_clears_the_reasons_of_ended_engagements(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, make_session: Any
) -> None:
    engagement = await make_engagement()
    row = await make_session(engagement)
    await marked_and_corrected(client, keys, engagement, row)
    kept = await make_engagement()
    kept_row = await make_session(kept)
    await marked_and_corrected(client, keys, kept, kept_row)
    async with sessionmaker_of(app)() as session:
        ended = await session.get(type(engagement), engagement.id)
        assert ended is not None
        ended.status, ended.ended_at = "ended", datetime.now(UTC) - timedelta(days=400)
        await session.flush()
        await retention.purge_session_notes(session, datetime.now(UTC) - timedelta(days=365), "anonymize")
        await session.commit()
    assert [reason for _, _, reason in await marks(app, row)] == [None, None]
    assert [reason for _, _, reason in await marks(app, kept_row)] == [None, REASON]
