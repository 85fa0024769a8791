"""The LRS endpoint over real HTTP: versions, auth, idempotency, validation, minimisation, voiding."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select

from tandem_gateway.models import TrainingEvidence, XapiStatement
from tandem_gateway.testing import bearer
from tandem_kit.events import outbox_messages
from tandem_kit.testing import sessionmaker_of

from .conftest import HOME, V, XapiStack, mbox, statement

BIAS = "https://lms.example.com/courses/bias-awareness"
WEEK_1 = "https://lms.example.com/courses/mentor-curriculum/week-1"


async def mapped_program(http: httpx.AsyncClient, stack: XapiStack, *mappings: dict[str, Any]) -> uuid.UUID:
    program = uuid.uuid4()
    for mapping in mappings:
        resp = await http.post(
            f"/api/v1/admin/xapi/programs/{program}/curriculum", json=mapping, headers=stack.headers("admin")
        )
        assert resp.status_code == 201, resp.text
    return program


async def evidence_of(stack: XapiStack, person: uuid.UUID) -> list[TrainingEvidence]:
    async with sessionmaker_of(stack.app)() as session:
        found = await session.scalars(select(TrainingEvidence).where(TrainingEvidence.person_id == person))
        return list(found.all())


async def outbox(stack: XapiStack, event_type: str, statement_id: uuid.UUID) -> list[dict[str, Any]]:
    async with sessionmaker_of(stack.app)() as session:
        rows = await session.scalars(
            select(outbox_messages.c.payload).where(
                outbox_messages.c.subject == f"tandem.gateway.{event_type}",
                outbox_messages.c.payload["data"]["statement_id"].astext == str(statement_id),
            )
        )
        return [r["data"] for r in rows.all()]


async def test_about_is_public(http: httpx.AsyncClient) -> None:
    resp = await http.get("/xapi/about")
    assert resp.status_code == 200
    assert resp.json()["version"] == ["1.0.3", "2.0.0"]
    assert resp.headers["x-experience-api-version"] == "2.0.0"


async def test_anonymous(http: httpx.AsyncClient) -> None:
    resp = await http.post("/xapi/statements", json={}, headers=V)
    assert resp.status_code == 401, resp.text
    assert resp.headers["www-authenticate"] == 'Bearer, Basic realm="xapi"'


async def test_missing_scope(http: httpx.AsyncClient, xapi_stack: XapiStack) -> None:
    resp = await http.post("/xapi/statements", json={}, headers=xapi_stack.headers("xapi:read"))
    assert resp.status_code == 403


async def test_version_header_missing(http: httpx.AsyncClient, xapi_stack: XapiStack) -> None:
    headers = bearer(xapi_stack.token("xapi:write"))
    body = statement(mbox("a@example.com"), BIAS)
    resp = await http.post("/xapi/statements", json=body, headers=headers)
    assert resp.status_code == 400
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["parameter"] == "X-Experience-API-Version"
    assert resp.headers["x-experience-api-version"] == "2.0.0"


async def test_invalid_statement_names_the_property(http: httpx.AsyncClient, xapi_stack: XapiStack) -> None:
    body = statement(mbox("a@example.com"), BIAS, result={"score": {"scaled": 1.5}})
    resp = await http.post("/xapi/statements", json=[body], headers=xapi_stack.headers("xapi:write"))
    assert resp.status_code == 400
    problem = resp.json()
    assert problem["property"] == "[0].result.score.scaled"
    assert problem["errors"][0]["pointer"] == "#/0/result/score/scaled"
    assert problem["type"].endswith("xapi-statement-invalid")


async def test_batch_with_a_duplicate_id(http: httpx.AsyncClient, xapi_stack: XapiStack) -> None:
    same = uuid.uuid4()
    batch = [statement(mbox("a@example.com"), BIAS, statement_id=same) for _ in range(2)]
    resp = await http.post("/xapi/statements", json=batch, headers=xapi_stack.headers("xapi:write"))
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["pointer"] == "#/1/id"


async def test_same_statement_twice_is_one_evidence(http: httpx.AsyncClient, xapi_stack: XapiStack) -> None:
    email = f"m-{uuid.uuid4().hex[:8]}@example.com"
    person = await xapi_stack.person(email=email)
    program = await mapped_program(http, xapi_stack, {"activity_id": BIAS, "item": "bias_awareness_training"})
    body = statement(mbox(email.upper()), BIAS)
    headers = xapi_stack.headers("xapi:write")
    first = await http.post("/xapi/statements", json=body, headers=headers)
    again = await http.put("/xapi/statements", params={"statementId": body["id"]}, json=body, headers=headers)
    assert first.status_code == 200
    assert first.json() == [body["id"]]
    assert again.status_code == 204
    evidence = await evidence_of(xapi_stack, person)
    assert [(e.program_id, e.item, e.verb, e.counts) for e in evidence] == [
        (program, "bias_awareness_training", "completed", True)
    ]
    recorded = await outbox(xapi_stack, "TrainingEvidenceRecorded", uuid.UUID(body["id"]))
    assert len(recorded) == 1
    assert recorded[0]["person_id"] == str(person)
    assert recorded[0]["achieved_at"] == "2026-12-01T10:00:00Z"


async def test_conflicting_content_is_409(http: httpx.AsyncClient, xapi_stack: XapiStack) -> None:
    email = f"c-{uuid.uuid4().hex[:8]}@example.com"
    await xapi_stack.person(email=email)
    await mapped_program(http, xapi_stack, {"activity_id": BIAS + "/c", "item": "bias_awareness_training"})
    body = statement(mbox(email), BIAS + "/c")
    headers = xapi_stack.headers("xapi:write")
    assert (await http.post("/xapi/statements", json=body, headers=headers)).status_code == 200
    other = {**body, "verb": {"id": "http://adlnet.gov/expapi/verbs/passed"}}
    resp = await http.put("/xapi/statements", params={"statementId": body["id"]}, json=other, headers=headers)
    assert resp.status_code == 409
    assert resp.json()["statement_id"] == body["id"]


async def test_unknown_actor_and_unmapped_activity_are_not_kept(
    http: httpx.AsyncClient, xapi_stack: XapiStack
) -> None:
    email = f"k-{uuid.uuid4().hex[:8]}@example.com"
    await xapi_stack.person(email=email)
    await mapped_program(http, xapi_stack, {"activity_id": BIAS + "/k", "item": "bias_awareness_training"})
    stranger = statement(mbox("nobody@example.com"), BIAS + "/k")
    unmapped = statement(mbox(email), "https://lms.example.com/courses/excel")
    resp = await http.post(
        "/xapi/statements", json=[stranger, unmapped], headers=xapi_stack.headers("xapi:write")
    )
    assert resp.json() == [stranger["id"], unmapped["id"]]
    async with sessionmaker_of(xapi_stack.app)() as session:
        kept = await session.scalars(
            select(XapiStatement.id).where(
                XapiStatement.id.in_([uuid.UUID(stranger["id"]), uuid.UUID(unmapped["id"])])
            )
        )
        assert kept.all() == []


async def test_account_and_sha1_actors_resolve(http: httpx.AsyncClient, xapi_stack: XapiStack) -> None:
    from tandem_gateway.xapi.domain import mbox_sha1sum

    email = f"s-{uuid.uuid4().hex[:8]}@example.com"
    hashed = await xapi_stack.person(email=email)
    external = f"E{uuid.uuid4().hex[:8]}"
    by_account = await xapi_stack.person(external_id=external)
    await mapped_program(http, xapi_stack, {"activity_id": BIAS + "/s", "item": "bias_awareness_training"})
    batch = [
        statement({"mbox_sha1sum": mbox_sha1sum(email)}, BIAS + "/s"),
        statement({"account": {"homePage": HOME, "name": external}}, BIAS + "/s"),
        statement({"account": {"homePage": "https://other.example.com", "name": external}}, BIAS + "/s"),
    ]
    assert (
        await http.post("/xapi/statements", json=batch, headers=xapi_stack.headers("xapi:write"))
    ).status_code == 200
    assert [e.statement_id for e in await evidence_of(xapi_stack, hashed)] == [uuid.UUID(batch[0]["id"])]
    assert [e.statement_id for e in await evidence_of(xapi_stack, by_account)] == [uuid.UUID(batch[1]["id"])]


async def test_weekly_assessment_rules(http: httpx.AsyncClient, xapi_stack: XapiStack) -> None:
    email = f"w-{uuid.uuid4().hex[:8]}@example.com"
    person = await xapi_stack.person(email=email)
    week_2 = WEEK_1.replace("1", "2") + uuid.uuid4().hex[:4]
    week_1 = WEEK_1 + uuid.uuid4().hex[:4]
    await mapped_program(
        http,
        xapi_stack,
        {"activity_id": week_1, "item": "mentor_curriculum_week_1", "rule": "passed"},
        {"activity_id": week_2, "item": "mentor_curriculum_week_2", "rule": "score", "min_scaled": 0.8},
    )
    batch = [
        statement(mbox(email), week_1, verb="failed"),
        statement(mbox(email), week_1, verb="completed"),
        statement(mbox(email), week_2, verb="passed", result={"score": {"scaled": 0.7}}),
        statement(mbox(email), week_2, verb="passed", result={"score": {"scaled": 0.9}}),
    ]
    assert (
        await http.post("/xapi/statements", json=batch, headers=xapi_stack.headers("xapi:write"))
    ).status_code == 200
    got = {uuid.UUID(s["id"]): i for i, s in enumerate(batch)}
    evidence = sorted(await evidence_of(xapi_stack, person), key=lambda e: got[e.statement_id])
    assert [(e.verb, e.counts, e.score_scaled) for e in evidence] == [
        ("failed", False, None),
        ("completed", False, None),
        ("passed", False, 0.7),
        ("passed", True, 0.9),
    ]


async def test_voiding_retracts_the_evidence(http: httpx.AsyncClient, xapi_stack: XapiStack) -> None:
    email = f"v-{uuid.uuid4().hex[:8]}@example.com"
    person = await xapi_stack.person(email=email)
    program = await mapped_program(
        http, xapi_stack, {"activity_id": BIAS + "/v", "item": "bias_awareness_training"}
    )
    original = statement(mbox(email), BIAS + "/v")
    headers = xapi_stack.headers("xapi:write", "xapi:read")
    assert (await http.post("/xapi/statements", json=original, headers=headers)).status_code == 200
    voiding = {
        "id": str(uuid.uuid4()),
        "actor": mbox(email),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": original["id"]},
    }
    assert (await http.post("/xapi/statements", json=voiding, headers=headers)).status_code == 200
    retracted = await outbox(xapi_stack, "TrainingEvidenceRetracted", uuid.UUID(original["id"]))
    assert [(r["person_id"], r["program_id"], r["voided_by"]) for r in retracted] == [
        (str(person), str(program), voiding["id"])
    ]
    gone = await http.get("/xapi/statements", params={"statementId": original["id"]}, headers=headers)
    assert gone.status_code == 404
    voided = await http.get("/xapi/statements", params={"voidedStatementId": original["id"]}, headers=headers)
    assert voided.status_code == 200
    assert voided.json()["id"] == original["id"]
    assert "x-experience-api-consistent-through" in voided.headers


async def test_filters_and_more_link(http: httpx.AsyncClient, xapi_stack: XapiStack) -> None:
    email = f"f-{uuid.uuid4().hex[:8]}@example.com"
    await xapi_stack.person(email=email)
    activity = BIAS + "/f" + uuid.uuid4().hex[:6]
    await mapped_program(http, xapi_stack, {"activity_id": activity, "item": "bias_awareness_training"})
    headers = xapi_stack.headers("xapi:write", "xapi:read", client_id="lms-f")
    batch = [statement(mbox(email), activity) for _ in range(3)]
    assert (await http.post("/xapi/statements", json=batch, headers=headers)).status_code == 200
    params = {"agent": f'{{"mbox": "mailto:{email}"}}', "activity": activity, "limit": 2, "ascending": "true"}
    first = await http.get("/xapi/statements", params=params, headers=headers)
    assert [s["id"] for s in first.json()["statements"]] == [batch[0]["id"], batch[1]["id"]]
    more = first.json()["more"]
    assert more.startswith("/xapi/statements?")
    second = await http.get(more, headers=headers)
    assert [s["id"] for s in second.json()["statements"]] == [batch[2]["id"]]
    assert second.json()["more"] == ""
    other_lms = xapi_stack.headers("xapi:read", client_id="lms-other")
    assert (await http.get("/xapi/statements", params=params, headers=other_lms)).json()["statements"] == []


async def test_basic_credentials(http: httpx.AsyncClient, xapi_stack: XapiStack) -> None:
    created = await http.post(
        "/api/v1/admin/xapi/credentials",
        json={"name": f"lms-{uuid.uuid4().hex[:6]}"},
        headers=xapi_stack.headers("admin"),
    )
    assert created.status_code == 201
    auth = httpx.BasicAuth(created.json()["key"], created.json()["secret"])
    body = statement(mbox("b@example.com"), BIAS)
    ok = await http.post("/xapi/statements", json=body, headers=V, auth=auth)
    assert ok.status_code == 200
    reading = await http.get("/xapi/statements", params={"statementId": body["id"]}, headers=V, auth=auth)
    assert reading.status_code == 403
    wrong = await http.post(
        "/xapi/statements", json=body, headers=V, auth=httpx.BasicAuth(created.json()["key"], "x")
    )
    assert wrong.status_code == 401
    disabled = await http.post(
        f"/api/v1/admin/xapi/credentials/{created.json()['id']}/disable", headers=xapi_stack.headers("admin")
    )
    assert disabled.json()["disabled_at"] is not None
    assert (await http.post("/xapi/statements", json=body, headers=V, auth=auth)).status_code == 401


async def test_failed_basic_authentication_is_throttled_per_source(
    http: httpx.AsyncClient, xapi_stack: XapiStack
) -> None:
    created = await http.post(
        "/api/v1/admin/xapi/credentials",
        json={"name": f"lms-{uuid.uuid4().hex[:6]}"},
        headers=xapi_stack.headers("admin"),
    )
    key, secret = created.json()["key"], created.json()["secret"]
    body = statement(mbox("t@example.com"), BIAS)
    # A source of its own (the limit is per source address, shared by the OAuth endpoints).
    source = f"10.77.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    transport = httpx.ASGITransport(app=xapi_stack.app, client=(source, 40000))
    limit = xapi_stack.app.state.settings.auth_failure_limit
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as attacker:
        answers = [
            (
                await attacker.post(
                    "/xapi/statements", json=body, headers=V, auth=httpx.BasicAuth(guess, f"wrong-{n}")
                )
            ).status_code
            for n, guess in enumerate([key] * limit + ["no-such-key"] * 2)
        ]
        # Wrong secrets and unknown keys alike: `limit` failures in the sliding window, then 429.
        assert answers == [401] * limit + [429] * 2
        throttled = await attacker.post(
            "/xapi/statements", json=body, headers=V, auth=httpx.BasicAuth(key, "x")
        )
        assert throttled.status_code == 429
        assert 1 <= int(throttled.headers["retry-after"]) <= 60
        assert throttled.json()["type"] == "https://tandem.dev/problems/too-many-attempts"
        # The right secret is accepted even from the throttled source: the LMS is never locked out.
        ok = await attacker.post("/xapi/statements", json=body, headers=V, auth=httpx.BasicAuth(key, secret))
        assert ok.status_code == 200, ok.text
    # Another source is not affected.
    assert (
        await http.post("/xapi/statements", json=body, headers=V, auth=httpx.BasicAuth(key, "x"))
    ).status_code == 401


async def test_export_and_erase_a_persons_statements(http: httpx.AsyncClient, xapi_stack: XapiStack) -> None:
    from tandem_gateway.xapi import privacy

    email = f"e-{uuid.uuid4().hex[:8]}@example.com"
    person = await xapi_stack.person(email=email)
    await mapped_program(http, xapi_stack, {"activity_id": BIAS + "/e", "item": "bias_awareness_training"})
    body = statement(mbox(email), BIAS + "/e")
    assert (
        await http.post("/xapi/statements", json=body, headers=xapi_stack.headers("xapi:write"))
    ).status_code == 200
    async with sessionmaker_of(xapi_stack.app)() as session, session.begin():
        exported = await privacy.export_person(session, person)
        assert exported is not None
        assert [s["id"] for s in exported["statements"]] == [body["id"]]
        assert [(e["item"], e["statement_id"]) for e in exported["evidence"]] == [
            ("bias_awareness_training", body["id"])
        ]
        assert await privacy.erase_person(session, person) == 2
        assert await privacy.export_person(session, person) is None


async def test_a_single_statement_get_takes_no_filter(http: httpx.AsyncClient, xapi_stack: XapiStack) -> None:
    headers = xapi_stack.headers("xapi:read")
    resp = await http.get(
        "/xapi/statements",
        params={"statementId": str(uuid.uuid4()), "verb": "http://x.example/v"},
        headers=headers,
    )
    assert resp.status_code == 400
    assert resp.json()["parameter"] == "verb"
    unknown = await http.get("/xapi/statements", params={"statementId": str(uuid.uuid4())}, headers=headers)
    assert unknown.status_code == 404
    assert unknown.json()["parameter"] == "statementId"


async def test_since_needs_a_zone(http: httpx.AsyncClient, xapi_stack: XapiStack) -> None:
    resp = await http.get(
        "/xapi/statements", params={"since": "2026-12-01T10:00:00"}, headers=xapi_stack.headers("xapi:read")
    )
    assert resp.status_code == 400
    assert resp.json()["parameter"] == "since"
