"""A retried match approval with an Idempotency-Key approves once and gets the first answer again."""

import uuid
from typing import Any

import httpx

API = "/api/v1/matching"
MANAGER = ("matching:read", "matching:write", "matching:decide")


async def _pending(world: Any) -> dict[str, Any]:
    program = await world.program()
    await world.coach(program)
    person = await world.intake(program)
    proposal: dict[str, Any] = await world.proposal(person)
    return proposal


async def approve(
    world: Any, proposal: dict[str, Any], key: str, *, sub: str = "pm-frontend", **body: Any
) -> httpx.Response:
    """Approve as the machine client `sub`, with a fresh token each time (as a retry would have)."""
    response: httpx.Response = await world.client.post(
        f"{API}/proposals/{proposal['id']}/approve",
        json=body,
        headers={**world.keys.headers(*MANAGER, sub=sub), "Idempotency-Key": key},
    )
    return response


async def test_retried_approval_approves_once(world: Any) -> None:
    proposal, key = await _pending(world), str(uuid.uuid4())
    first = await approve(world, proposal, key, reason="good fit")
    retry = await approve(world, proposal, key, reason="good fit")

    assert (first.status_code, retry.status_code) == (200, 200), retry.text
    assert retry.json() == first.json()
    assert retry.headers["idempotency-replayed"] == "true"
    approved = [e for e in await world.outbox("MatchApproved") if e["data"]["proposal_id"] == proposal["id"]]
    assert [e["data"]["match_id"] for e in approved] == [first.json()["id"]]


async def test_same_key_other_reason_is_422(world: Any) -> None:
    proposal, key = await _pending(world), str(uuid.uuid4())
    assert (await approve(world, proposal, key, reason="good fit")).status_code == 200
    resp = await approve(world, proposal, key, reason="sponsor asked")
    assert resp.status_code == 422
    assert resp.json()["type"] == "https://tandem.dev/problems/idempotency-key-reused"
    assert resp.json()["errors"][0]["parameter"] == "Idempotency-Key"


async def test_other_client_same_key_is_not_replayed(world: Any) -> None:
    """Another client's key of the same text is its own: its approval runs, and finds it done."""
    proposal, key = await _pending(world), "approve-1"
    assert (await approve(world, proposal, key, sub="pm-frontend")).status_code == 200
    theirs = await approve(world, proposal, key, sub="ops-console")
    assert theirs.status_code == 409
    assert theirs.json()["proposal_status"] == "approved"
