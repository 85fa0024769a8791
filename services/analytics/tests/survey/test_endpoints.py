"""Signed survey answers: NPS after a cohort and the managers' quarterly coaching self-report."""

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tandem_analytics.fact.consumers import analytics_consent
from tandem_analytics.models import CoachingAdoptionReport, NpsResponse
from tandem_analytics.privacy.service import erase_person, export_person
from tandem_kit.events import EventConsumer, EventEnvelope
from tandem_kit.testing import TestKeys, asgi_client, sessionmaker_of

Signed = Callable[..., tuple[bytes, dict[str, str]]]
T0 = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
PROGRAM = uuid.UUID("00000000-0000-4000-8000-00000000f001")


def url(vendor: Any) -> str:
    return f"/api/v1/analytics/vendors/{vendor.id}/survey-responses"


def nps(
    person: uuid.UUID, score: int, *, at: datetime = T0, cohort: str = "2026-autumn", **extra: Any
) -> dict[str, Any]:
    data = {
        "program_id": str(PROGRAM),
        "cohort": cohort,
        "respondent_id": str(person),
        "score": score,
        "responded_at": at.isoformat(),
        **extra,
    }
    return {"type": "survey.nps", "data": data}


def adoption(manager: uuid.UUID, adopted: bool, *, quarter: str = "2026-Q4") -> dict[str, Any]:
    data = {
        "program_id": str(PROGRAM),
        "quarter": quarter,
        "respondent_id": str(manager),
        "adopted": adopted,
        "responded_at": T0.isoformat(),
    }
    return {"type": "survey.coaching_adoption", "data": data}


async def consent(
    app: FastAPI, person: uuid.UUID, kind: str = "ConsentGranted", *, at: datetime = T0
) -> None:
    field = "granted_at" if kind == "ConsentGranted" else "withdrawn_at"
    data = {"person_id": str(person), "purpose": "analytics", field: at.isoformat(), "notice_version": 1}
    event = EventEnvelope(id=uuid.uuid4(), type=kind, source="consent", occurred_at=at, data=data)
    assert await EventConsumer(app.state.broker, sessionmaker_of(app), analytics_consent).apply(event)


async def consented(app: FastAPI) -> uuid.UUID:
    person = uuid.uuid4()
    await consent(app, person, at=T0 - timedelta(days=30))
    return person


async def scores(app: FastAPI, person: uuid.UUID) -> list[tuple[str, int]]:
    async with sessionmaker_of(app)() as session:
        rows = await session.execute(
            select(NpsResponse.cohort, NpsResponse.score).where(NpsResponse.respondent_id == person)
        )
        return [(cohort, score) for cohort, score in rows.tuples()]


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Committed requests: survey answers are read back by later requests and the consent consumer."""
    async with asgi_client(app) as client:
        yield client


@pytest.fixture
async def sender(http: httpx.AsyncClient, new_vendor: Any) -> Any:
    return await new_vendor(http)


async def post(
    http: httpx.AsyncClient, sender: Any, signed: Signed, keys: TestKeys, payload: Any
) -> httpx.Response:
    body, headers = signed(sender.secret, payload, keys=keys)
    return await http.post(url(sender), content=body, headers=headers)


async def test_anonymous(http: httpx.AsyncClient, sender: Any, signed: Signed) -> None:
    body, headers = signed(sender.secret, nps(uuid.uuid4(), 9))
    resp = await http.post(url(sender), content=body, headers=headers)
    assert resp.status_code == 401


async def test_missing_scope(http: httpx.AsyncClient, keys: TestKeys, sender: Any, signed: Signed) -> None:
    body, headers = signed(sender.secret, nps(uuid.uuid4(), 9))
    resp = await http.post(url(sender), content=body, headers=headers | keys.headers("analytics:read"))
    assert resp.status_code == 403
    assert resp.json()["missing_scopes"] == ["analytics:ingest"]


async def test_bad_signature_refused(
    http: httpx.AsyncClient, keys: TestKeys, sender: Any, signed: Signed, app: FastAPI
) -> None:
    person = await consented(app)
    body, headers = signed("whsec_" + "A" * 44, nps(person, 9), keys=keys)
    resp = await http.post(url(sender), content=body, headers=headers)
    assert resp.status_code == 401
    assert resp.json()["type"].endswith("/webhook-signature-invalid")
    assert await scores(app, person) == []


async def test_nps_answer_stored_once(
    http: httpx.AsyncClient, keys: TestKeys, sender: Any, signed: Signed, app: FastAPI
) -> None:
    person = await consented(app)
    body, headers = signed(sender.secret, nps(person, 9), keys=keys)

    first = await http.post(url(sender), content=body, headers=headers)
    again = await http.post(url(sender), content=body, headers=headers)

    assert first.status_code == 202, first.text
    assert first.json()["status"] == "stored"
    assert again.status_code == 200
    assert again.json() == {**first.json(), "duplicate": True, "status": "duplicate"}
    assert await scores(app, person) == [("2026-autumn", 9)]


async def test_later_answer_replaces_and_an_older_one_is_superseded(
    http: httpx.AsyncClient, keys: TestKeys, sender: Any, signed: Signed, app: FastAPI
) -> None:
    person = await consented(app)
    answers = (
        (6, T0, "stored"),
        (10, T0 + timedelta(hours=1), "stored"),
        (3, T0 - timedelta(hours=1), "superseded"),
    )
    for score, at, expected in answers:
        resp = await post(http, sender, signed, keys, nps(person, score, at=at))
        assert resp.json()["status"] == expected, resp.text

    assert await scores(app, person) == [("2026-autumn", 10)]


async def test_without_analytics_consent_nothing_is_stored(
    http: httpx.AsyncClient, keys: TestKeys, sender: Any, signed: Signed, app: FastAPI
) -> None:
    never_asked, withdrawn = uuid.uuid4(), await consented(app)
    await consent(app, withdrawn, "ConsentWithdrawn")

    for person in (never_asked, withdrawn):
        resp = await post(http, sender, signed, keys, nps(person, 10))
        assert resp.status_code == 202
        assert resp.json()["status"] == "not_consented"
        assert await scores(app, person) == []


async def test_free_text_is_refused_naming_the_field(
    http: httpx.AsyncClient, keys: TestKeys, sender: Any, signed: Signed, app: FastAPI
) -> None:
    person = await consented(app)
    resp = await post(http, sender, signed, keys, nps(person, 9, comment="My coach was great, but ..."))
    assert resp.status_code == 422
    [error] = resp.json()["errors"]
    assert error["pointer"] == "#/data/comment"
    assert error["detail"].startswith("free-text session content is not accepted")
    assert await scores(app, person) == []


async def test_score_out_of_range_names_the_field(
    http: httpx.AsyncClient, keys: TestKeys, sender: Any, signed: Signed
) -> None:
    resp = await post(http, sender, signed, keys, nps(uuid.uuid4(), 11))
    assert resp.status_code == 422
    assert [e["pointer"] for e in resp.json()["errors"]] == ["#/data/score"]


async def test_unknown_survey_type_names_the_field(
    http: httpx.AsyncClient, keys: TestKeys, sender: Any, signed: Signed
) -> None:
    resp = await post(http, sender, signed, keys, {"type": "survey.pulse", "data": {}})
    assert resp.status_code == 422
    assert [e["pointer"] for e in resp.json()["errors"]] == ["#/type"]


async def test_adoption_report_per_quarter(
    http: httpx.AsyncClient, keys: TestKeys, sender: Any, signed: Signed, app: FastAPI
) -> None:
    manager = await consented(app)
    for quarter, adopted in (("2026-Q3", False), ("2026-Q4", True)):
        resp = await post(http, sender, signed, keys, adoption(manager, adopted, quarter=quarter))
        assert resp.json()["status"] == "stored", resp.text
    bad = await post(http, sender, signed, keys, adoption(manager, True, quarter="2026-Q5"))

    assert bad.status_code == 422
    assert [e["pointer"] for e in bad.json()["errors"]] == ["#/data/quarter"]
    async with sessionmaker_of(app)() as session:
        rows = await session.execute(
            select(CoachingAdoptionReport.quarter, CoachingAdoptionReport.adopted)
            .where(CoachingAdoptionReport.respondent_id == manager)
            .order_by(CoachingAdoptionReport.quarter)
        )
        assert list(rows.tuples()) == [("2026-Q3", False), ("2026-Q4", True)]


async def test_withdrawal_deletes_the_answers(
    http: httpx.AsyncClient, keys: TestKeys, sender: Any, signed: Signed, app: FastAPI
) -> None:
    person = await consented(app)
    await post(http, sender, signed, keys, nps(person, 8))
    assert await scores(app, person) == [("2026-autumn", 8)]

    await consent(app, person, "ConsentWithdrawn", at=T0 + timedelta(days=1))

    assert await scores(app, person) == []


async def test_access_exports_and_erasure_renames_the_answers(
    http: httpx.AsyncClient, keys: TestKeys, sender: Any, signed: Signed, app: FastAPI
) -> None:
    person = await consented(app)
    await post(http, sender, signed, keys, nps(person, 7))
    await post(http, sender, signed, keys, adoption(person, True))

    async with sessionmaker_of(app)() as session, session.begin():
        exported = await export_person(session, person)
        erased = await erase_person(session, person)

    assert exported.export is not None
    assert exported.export["nps_responses"] == [
        {"program_id": str(PROGRAM), "cohort": "2026-autumn", "score": 7, "responded_at": T0.isoformat()}
    ]
    assert exported.export["coaching_adoption_reports"] == [
        {"program_id": str(PROGRAM), "quarter": "2026-Q4", "adopted": True, "responded_at": T0.isoformat()}
    ]
    assert "1 nps responses, 1 coaching adoption reports" in erased.detail
    assert await scores(app, person) == []
