import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tandem_kit.testing import TestKeys

PEOPLE = "/api/v1/consent/people"
ADMIN = ("consent:read", "consent:write", "admin")
MATCHING_FIELDS = [
    "behavioural_goals",
    "job_level",
    "job_title",
    "languages",
    "mentee_outcomes",
    "promotion_history",
    "reporting_line",
    "skills",
    "sponsorship_history",
    "timezone",
    "training_completions",
    "working_hours",
]
Decide = Callable[..., Awaitable[httpx.Response]]
AsPerson = Callable[..., dict[str, str]]
Outbox = Callable[..., Awaitable[list[dict[str, Any]]]]


async def test_anonymous(client: httpx.AsyncClient) -> None:
    resp = await client.get(f"{PEOPLE}/{uuid.uuid4()}/consents")
    assert resp.status_code == 401


async def test_missing_scope(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        f"{PEOPLE}/{uuid.uuid4()}/consents/matching/grants",
        json={"notice_version": 1},
        headers=keys.headers("consent:read"),
    )
    assert resp.status_code == 403
    assert resp.json()["missing_scopes"] == ["consent:write"]


async def test_other_person_not_found(client: httpx.AsyncClient, as_person: AsPerson) -> None:
    me, other = uuid.uuid4(), uuid.uuid4()
    resp = await client.get(f"{PEOPLE}/{other}/consents", headers=as_person(me))
    assert resp.status_code == 404
    assert resp.json()["type"] == "https://tandem.dev/problems/person-not-found"


async def test_never_asked_lists_every_purpose_not_granted(
    client: httpx.AsyncClient, as_person: AsPerson
) -> None:
    me = uuid.uuid4()
    resp = await client.get(f"{PEOPLE}/{me}/consents", headers=as_person(me))
    assert resp.status_code == 200
    assert [(c["purpose"], c["granted"], c["sequence"]) for c in resp.json()] == [
        ("ai_summaries", False, 0),
        ("analytics", False, 0),
        ("handoff", False, 0),
        ("hris_readback", False, 0),
        ("lrs_reporting", False, 0),
        ("matching", False, 0),
        ("vendor_sharing", False, 0),
    ]


async def test_grant_own_consent(client: httpx.AsyncClient, grant: Decide, as_person: AsPerson) -> None:
    me = uuid.uuid4()
    resp = await grant(me, headers=as_person(me), method="web_form", evidence={"user_agent": "Firefox/140"})
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert (body["granted"], body["notice_version"], body["sequence"]) == (True, 1, 1)
    assert body["fields"] == MATCHING_FIELDS
    record = (await client.get(f"{PEOPLE}/{me}/consent-records", headers=as_person(me))).json()["items"][0]
    assert (record["action"], record["method"], record["on_behalf"]) == ("granted", "web_form", False)
    assert record["evidence"] == {"user_agent": "Firefox/140"}
    assert record["recorded_by"] == f"user-{me}"


async def test_grant_emits_consent_granted(grant: Decide, outbox: Outbox) -> None:
    person = uuid.uuid4()
    resp = await grant(person, "analytics")
    assert resp.status_code == 201
    events = await outbox("ConsentGranted", person_id=str(person))
    assert [(e["purpose"], e["notice_version"]) for e in events] == [("analytics", 1)]
    assert datetime.fromisoformat(events[0]["granted_at"]) <= datetime.now(UTC)


async def test_same_grant_twice_records_once(
    client: httpx.AsyncClient, grant: Decide, outbox: Outbox, keys: TestKeys
) -> None:
    person = uuid.uuid4()
    first = await grant(person, fields=["skills", "timezone"])
    again = await grant(person, fields=["timezone", "skills"])
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["sequence"] == 1
    ledger = await client.get(f"{PEOPLE}/{person}/consent-records", headers=keys.headers("consent:read"))
    assert ledger.json()["total"] == 1
    assert len(await outbox("ConsentGranted", person_id=str(person))) == 1


async def test_narrower_grant_is_a_new_record(client: httpx.AsyncClient, grant: Decide) -> None:
    person = uuid.uuid4()
    await grant(person)
    resp = await grant(person, fields=["timezone", "working_hours"])
    assert resp.status_code == 201
    assert (resp.json()["fields"], resp.json()["sequence"]) == (["timezone", "working_hours"], 2)


async def test_default_grant_leaves_confidential_fields_out(grant: Decide) -> None:
    resp = await grant(uuid.uuid4(), "handoff")
    assert resp.json()["fields"] == ["behavioural_goals", "coaching_context", "session_indicators"]


async def test_confidential_field_granted_by_name(grant: Decide) -> None:
    resp = await grant(uuid.uuid4(), "ai_summaries", fields=["session_transcripts"])
    assert resp.status_code == 201
    assert resp.json()["fields"] == ["session_transcripts"]


async def test_field_outside_notice_names_its_position(grant: Decide) -> None:
    resp = await grant(uuid.uuid4(), fields=["skills", "session_notes"])
    assert resp.status_code == 422
    assert resp.json()["pointer"] == "#/fields/1"
    assert resp.json()["type"] == "https://tandem.dev/problems/field-not-in-notice"


async def test_outdated_notice_is_conflict(client: httpx.AsyncClient, grant: Decide, keys: TestKeys) -> None:
    changed = await client.patch(
        "/api/v1/consent/purposes/matching",
        json={"description": "Now with more words."},
        headers=keys.headers(*ADMIN),
    )
    assert changed.json()["notice_version"] == 2
    resp = await grant(uuid.uuid4(), notice_version=1)
    assert resp.status_code == 409
    assert (resp.json()["pointer"], resp.json()["current_notice_version"]) == ("#/notice_version", 2)


async def test_unpublished_notice_version_unprocessable(grant: Decide) -> None:
    resp = await grant(uuid.uuid4(), notice_version=9)
    assert resp.status_code == 422
    assert resp.json()["pointer"] == "#/notice_version"


async def test_notice_version_missing_names_field(
    grant: Decide, client: httpx.AsyncClient, keys: TestKeys
) -> None:
    resp = await client.post(
        f"{PEOPLE}/{uuid.uuid4()}/consents/matching/grants", json={}, headers=keys.headers("consent:write")
    )
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["pointer"] == "#/notice_version"


async def test_unknown_purpose_not_found(grant: Decide) -> None:
    resp = await grant(uuid.uuid4(), "astrology")
    assert resp.status_code == 404
    assert resp.json()["type"] == "https://tandem.dev/problems/purpose-not-found"


async def test_future_decision_rejected(grant: Decide) -> None:
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    resp = await grant(uuid.uuid4(), occurred_at=tomorrow)
    assert resp.status_code == 422
    assert resp.json()["pointer"] == "#/occurred_at"
    assert "future" in resp.json()["detail"]


async def test_decision_before_notice_published_rejected(grant: Decide) -> None:
    resp = await grant(uuid.uuid4(), occurred_at="2001-01-01T09:00:00+00:00")
    assert resp.status_code == 422
    assert "before the notice" in resp.json()["detail"]


async def test_late_paper_grant_cannot_undo_newer_withdrawal(grant: Decide, withdraw: Decide) -> None:
    person = uuid.uuid4()
    signed = (await grant(person)).json()["granted_at"]
    assert (await withdraw(person)).status_code == 201
    # The paper form was signed when the first grant was made, but arrives after the withdrawal.
    late = await grant(person, method="paper_form", occurred_at=signed)
    assert late.status_code == 409
    assert late.json()["type"] == "https://tandem.dev/problems/decision-out-of-order"


async def test_withdraw_own_consent(
    grant: Decide, withdraw: Decide, as_person: AsPerson, outbox: Outbox
) -> None:
    me = uuid.uuid4()
    await grant(me, headers=as_person(me))
    resp = await withdraw(me, headers=as_person(me), reason="Changed my mind")
    assert resp.status_code == 201
    body = resp.json()
    assert (body["granted"], body["notice_version"], body["fields"], body["sequence"]) == (False, None, [], 2)
    assert body["withdrawn_at"] is not None
    assert [e["purpose"] for e in await outbox("ConsentWithdrawn", person_id=str(me))] == ["matching"]


async def test_withdraw_when_not_granted_records_nothing(withdraw: Decide, outbox: Outbox) -> None:
    person = uuid.uuid4()
    resp = await withdraw(person)
    assert resp.status_code == 200
    assert resp.json()["sequence"] == 0
    assert await outbox("ConsentWithdrawn", person_id=str(person)) == []


async def test_person_cannot_grant_for_someone_else(grant: Decide, as_person: AsPerson) -> None:
    resp = await grant(uuid.uuid4(), headers=as_person(uuid.uuid4()))
    assert resp.status_code == 404


async def test_program_manager_cannot_grant_on_behalf(grant: Decide, as_person: AsPerson) -> None:
    resp = await grant(uuid.uuid4(), headers=as_person(uuid.uuid4(), "program_manager"))
    assert resp.status_code == 403
    assert resp.json()["type"] == "https://tandem.dev/problems/grant-on-behalf-forbidden"


async def test_program_manager_withdraws_on_behalf(
    client: httpx.AsyncClient, grant: Decide, withdraw: Decide, as_person: AsPerson
) -> None:
    person, manager = uuid.uuid4(), uuid.uuid4()
    await grant(person)
    resp = await withdraw(person, headers=as_person(manager, "program_manager"), reason="Asked HR by phone")
    assert resp.status_code == 201
    ledger = await client.get(f"{PEOPLE}/{person}/consent-records", headers=as_person(person))
    last = ledger.json()["items"][-1]
    assert (last["action"], last["on_behalf"], last["recorded_by"]) == ("withdrawn", True, f"user-{manager}")
    assert last["notice_version"] == 1


async def test_ledger_pages_and_filters(
    client: httpx.AsyncClient, grant: Decide, withdraw: Decide, keys: TestKeys
) -> None:
    person = uuid.uuid4()
    await grant(person, "matching")
    await grant(person, "analytics")
    await withdraw(person, "matching")
    headers = keys.headers("consent:read")
    page = await client.get(f"{PEOPLE}/{person}/consent-records?limit=2", headers=headers)
    assert (page.json()["total"], len(page.json()["items"])) == (3, 2)
    matching = await client.get(f"{PEOPLE}/{person}/consent-records?purpose=matching", headers=headers)
    assert [(r["sequence"], r["action"]) for r in matching.json()["items"]] == [
        (1, "granted"),
        (2, "withdrawn"),
    ]


async def test_get_one_consent(client: httpx.AsyncClient, grant: Decide, as_person: AsPerson) -> None:
    me = uuid.uuid4()
    await grant(me, "vendor_sharing", headers=as_person(me))
    resp = await client.get(f"{PEOPLE}/{me}/consents/vendor_sharing", headers=as_person(me))
    assert resp.status_code == 200
    assert (resp.json()["granted"], resp.json()["current_notice_version"]) == (True, 1)


async def test_evidence_too_large_names_field(grant: Decide) -> None:
    resp = await grant(uuid.uuid4(), evidence={f"k{i}": "v" for i in range(21)})
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["pointer"] == "#/evidence"


async def test_malformed_person_claim_is_nobody(grant: Decide, keys: TestKeys) -> None:
    headers = keys.headers("consent:write", person_id="not-a-uuid")
    resp = await grant(uuid.uuid4(), headers=headers)
    assert resp.status_code == 404
