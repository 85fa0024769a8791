"""The resolution note is free text: export shows it, erasure and retention clear it."""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
from fastapi import FastAPI

from tandem_kit.testing import TestKeys, sessionmaker_of
from tandem_scheduling.models import Escalation
from tandem_scheduling.privacy import retention
from tandem_scheduling.privacy.service import erase_person, export_person

from .conftest import MakeEscalation, pm_headers

NOTE = "Participant on sick leave until the 20th."


async def resolved(client: httpx.AsyncClient, keys: TestKeys, escalation: Escalation, by: str) -> None:
    headers = pm_headers(keys, uuid4(), "scheduling:write")
    await client.post(
        f"/api/v1/scheduling/escalations/{escalation.id}/assign", json={"assignee_id": by}, headers=headers
    )
    mine = keys.headers("scheduling:read", "scheduling:write", sub=by, person_id=by)
    resp = await client.post(
        f"/api/v1/scheduling/escalations/{escalation.id}/resolve", json={"note": NOTE}, headers=mine
    )
    assert resp.status_code == 200


async def note_of(app: FastAPI, escalation: Escalation) -> tuple[str | None, Any, str | None]:
    async with sessionmaker_of(app)() as session:
        row = await session.get(Escalation, escalation.id, populate_existing=True)
        assert row is not None
        return row.resolution_note, row.assignee_id, row.resolved_by


async def test_erasure_of_the_participant_clears_the_note(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, make_escalation: MakeEscalation
) -> None:
    participant = uuid4()
    escalation = await make_escalation(participant_id=str(participant))
    staff = str(uuid4())
    await resolved(client, keys, escalation, staff)
    async with sessionmaker_of(app)() as session:
        exported = await export_person(session, participant)
        await erase_person(session, participant)
        await session.commit()
    assert exported.export is not None
    assert [x["resolution_note"] for x in exported.export["escalations"]] == [NOTE]
    note, assignee, resolved_by = await note_of(app, escalation)
    assert (note, str(assignee), resolved_by) == (None, staff, staff)


async def test_erasure_of_the_staff_member_removes_their_part(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, make_escalation: MakeEscalation
) -> None:
    escalation = await make_escalation()
    staff = uuid4()
    await resolved(client, keys, escalation, str(staff))
    async with sessionmaker_of(app)() as session:
        answer = await erase_person(session, staff)
        await session.commit()
    assert answer.records == 1
    note, assignee, resolved_by = await note_of(app, escalation)
    assert assignee is None
    assert resolved_by not in (None, str(staff))
    assert note == NOTE  # about the engagement, not about the staff member


async def test_retention_clears_notes_of_ended_engagements(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, make_escalation: MakeEscalation
) -> None:
    escalation = await make_escalation()
    await resolved(client, keys, escalation, str(uuid4()))
    async with sessionmaker_of(app)() as session:
        # Still running: the note stays; a year after the planned end: it goes.
        assert await retention.purge_session_notes(session, datetime.now(UTC), "delete") >= 0
        await session.commit()
    assert (await note_of(app, escalation))[0] == NOTE
    async with sessionmaker_of(app)() as session:
        await retention.purge_session_notes(session, datetime.now(UTC) + timedelta(days=800), "anonymize")
        await session.commit()
    assert (await note_of(app, escalation))[0] is None
