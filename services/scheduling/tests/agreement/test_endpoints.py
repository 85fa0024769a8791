import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import httpx

from tandem_kit.testing import TestKeys

BASE = "/api/v1/scheduling/engagements"
WRITE = ("scheduling:read", "scheduling:write")
CLAUSES = {
    "scope": "Stakeholder management for the AI rollout; not technical design reviews.",
    "confidentiality": "Session content stays between us; sponsor escalation only with consent.",
    "cadence": "Weekly, 60 minutes, video.",
    "success_criteria": "Sprint planning delays down 25% by the week-12 review.",
    "escalation_path": "Program operations first, HR for ethical or performance issues.",
    "data_usage_consent": "Only structured session indicators reach analytics.",
    "sponsor_actions": "n/a for coaching.",
    "termination": "Ends after 12 sessions or 3 months; renewal at the final review.",
}


def url(engagement: Any) -> str:
    return f"{BASE}/{engagement.id}/working-agreement"


def party(keys: TestKeys, person: uuid.UUID, role: str = "participant") -> dict[str, str]:
    return keys.headers(*WRITE, person_id=str(person), roles=[role])


async def test_anonymous(client: httpx.AsyncClient, make_engagement: Any) -> None:
    engagement = await make_engagement(signed=False)
    assert (await client.put(url(engagement), json=CLAUSES)).status_code == 401


async def test_missing_scope(client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any) -> None:
    engagement = await make_engagement(signed=False)
    resp = await client.put(url(engagement), json=CLAUSES, headers=keys.headers("scheduling:read"))
    assert resp.status_code == 403


async def test_other_person_not_found(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any
) -> None:
    engagement = await make_engagement()
    resp = await client.get(url(engagement), headers=party(keys, uuid.uuid4()))
    assert resp.status_code == 404
    assert resp.json()["type"].endswith("engagement-not-found")


async def test_missing_clause_is_named(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any
) -> None:
    engagement = await make_engagement(signed=False)
    clauses = {k: v for k, v in CLAUSES.items() if k != "termination"}
    resp = await client.put(url(engagement), json=clauses, headers=keys.headers(*WRITE))
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["pointer"] == "#/termination"


async def test_both_signatures_emit_working_agreement_signed_once(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, outbox: Callable[..., Awaitable[int]]
) -> None:
    engagement = await make_engagement(signed=False)
    participant = party(keys, engagement.participant_id)
    coach = party(keys, engagement.provider_person_id, "coach")
    await client.put(url(engagement), json=CLAUSES, headers=coach)
    signatures = f"{url(engagement)}/signatures"
    await client.post(signatures, json={"version": 1}, headers=participant)
    assert await outbox("WorkingAgreementSigned", engagement_id=str(engagement.id)) == 0
    await client.post(signatures, json={"version": 1}, headers=coach)
    await client.post(signatures, json={"version": 1}, headers=coach)
    assert await outbox("WorkingAgreementSigned", engagement_id=str(engagement.id)) == 1
    assert (
        await outbox(
            "WorkingAgreementSigned",
            match_id=str(engagement.match_id),
            participant_id=str(engagement.participant_id),
            provider_person_id=str(engagement.provider_person_id),
            version="1",
        )
        == 1
    )


async def test_both_parties_sign_then_regular_sessions_open(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    engagement = await make_engagement(signed=False)
    participant = party(keys, engagement.participant_id)
    coach = party(keys, engagement.provider_person_id, "coach")
    sessions = f"{BASE}/{engagement.id}/sessions"

    refused = await client.post(sessions, json={"starts_at": monday.isoformat()}, headers=participant)
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("working-agreement-unsigned")
    kickoff = await client.post(
        sessions, json={"starts_at": monday.isoformat(), "kind": "kickoff"}, headers=participant
    )
    assert kickoff.status_code == 201

    written = await client.put(url(engagement), json=CLAUSES, headers=coach)
    assert written.status_code == 200
    assert (written.json()["version"], written.json()["signed"]) == (1, False)
    first = await client.post(f"{url(engagement)}/signatures", json={"version": 1}, headers=participant)
    assert first.json()["participant_signed_at"] is not None
    assert first.json()["signed"] is False
    both = await client.post(f"{url(engagement)}/signatures", json={"version": 1}, headers=coach)
    assert both.json()["signed"] is True

    regular = await client.post(
        sessions, json={"starts_at": (monday + timedelta(days=1)).isoformat()}, headers=participant
    )
    assert regular.status_code == 201, regular.text


async def test_changed_text_needs_new_signatures(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any
) -> None:
    engagement = await make_engagement(signed=False)
    participant = party(keys, engagement.participant_id)
    await client.put(url(engagement), json=CLAUSES, headers=participant)
    await client.post(f"{url(engagement)}/signatures", json={"version": 1}, headers=participant)
    same = await client.put(url(engagement), json=CLAUSES, headers=participant)
    assert (same.json()["version"], same.json()["participant_signed_at"] is not None) == (1, True)
    changed = await client.put(
        url(engagement), json={**CLAUSES, "cadence": "Biweekly, 45 minutes."}, headers=participant
    )
    assert (changed.json()["version"], changed.json()["participant_signed_at"]) == (2, None)
    stale = await client.post(f"{url(engagement)}/signatures", json={"version": 1}, headers=participant)
    assert stale.status_code == 409
    assert (stale.json()["pointer"], stale.json()["current_version"]) == ("#/version", 2)


async def test_only_parties_sign(client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any) -> None:
    engagement = await make_engagement(signed=False)
    await client.put(url(engagement), json=CLAUSES, headers=keys.headers(*WRITE))
    manager = keys.headers(*WRITE, person_id=str(uuid.uuid4()), roles=["program_manager"])
    resp = await client.post(f"{url(engagement)}/signatures", json={"version": 1}, headers=manager)
    assert resp.status_code == 403
    assert resp.json()["type"].endswith("only-parties-sign")
    machine = await client.post(
        f"{url(engagement)}/signatures", json={"version": 1}, headers=keys.headers(*WRITE)
    )
    assert machine.status_code == 403


async def test_no_agreement_yet(client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any) -> None:
    engagement = await make_engagement(signed=False)
    resp = await client.get(url(engagement), headers=keys.headers("scheduling:read"))
    assert resp.status_code == 404
    assert resp.json()["type"].endswith("working-agreement-not-found")
