"""The program slice end to end, on the real stack: consent -> intake -> match -> approval -> kickoff
booking -> vendor session -> KPI -> one federated query -> a match ended everywhere -> an HRIS
provisioning a participant through SCIM and deprovisioning them (their match and kickoff end) -> access
and erasure requests answered by every service. Every outcome and every refusal is asserted."""

from datetime import datetime, timedelta

import httpx

from tandem_devstack.slice import PERSONAL_DATA_HOLDERS, Slice
from tandem_devstack.stack import Stack


async def test_program_slice(first_program_slice: Slice) -> None:
    program_slice = first_program_slice
    done = [await step() for _, step in program_slice.steps()]
    s = program_slice.state

    assert len(done) == len(program_slice.steps())
    # matching: seed decision matrix and explainable score
    top = s.proposal["candidates"][0]
    assert top["provider_id"] == s.coach_id
    assert abs(sum(sig["contribution"] for sig in top["signals"]) - top["score"]) < 1e-6
    assert s.match["participant_id"] == s.participant_id
    # refusals: no consent, double booking, bad signature, stale signature
    assert s.refusals == {
        "no_consent": 409,
        "double_booking": 409,
        "bad_signature": 401,
        "stale_signature": 401,
    }
    # scheduling: the kickoff session belongs to the approved match's engagement
    assert s.engagement["match_id"] == s.match["id"]
    assert s.retried == {"kickoff": (201, "true", True)}  # retried with its Idempotency-Key: booked once
    assert datetime.fromisoformat(s.session["ends_at"]) - datetime.fromisoformat(
        s.session["starts_at"]
    ) == timedelta(minutes=60)
    # analytics: replay stored once, KPIs from stored facts
    assert (s.batch["accepted"], s.batch["duplicates"]) == (5, 1)
    assert s.kpis["coach_to_coachee_ratio"]["value"] == 5.0
    assert s.kpis["coach_utilization"]["value"] == 0.5
    assert s.kpis["session_completion_rate"]["value"] == 1.0
    # federation: one query, three subgraphs
    assert s.federated["id"] == s.match["id"]
    assert s.federated["engagement"]["sessions"][0]["id"] == s.session["id"]
    assert {"purpose": "matching", "granted": True} in s.federated["participant"]["consents"]
    # a match ends: its engagement ends too, and cannot be booked
    assert s.ended["match"]["end_reason"] == "completed"
    assert s.ended["engagement"]["ended_at"] is not None
    assert s.ended["booking_status"] == 409
    # the HRIS: a person created through SCIM joined the program; deprovisioning them ended everything
    assert s.hris["user"]["active"] is True
    assert s.hris["ended_match"]["end_reason"] == "terminated"
    assert s.hris["cancelled_session"]["status"] == "cancelled"
    # the LMS: training evidence, not a typed-in flag, made the mentor eligible, and ranked
    assert s.lms["before"]["eligible"] is False
    assert s.lms["after"]["eligible"] is True
    evidenced = {e["statement_id"] for g in s.lms["after"]["gates"] for e in g["evidence"]}
    assert set(s.lms["statements"]) <= evidenced
    assert s.lms["mentor_id"] in s.lms["ranked"]
    # calendars: slots respected both calendars, the session reached both and left both on cancel
    starts = {x["starts_at"] for x in s.calendars["slots"]["slots"]}
    assert not {start for start, _ in s.calendars["busy"].values()} & starts
    assert {role: len(events) for role, events in s.calendars["events"].items()} == {
        "participant": 1,
        "coach": 1,
    }
    # personal data: every holder exported, then erased, the participant's data; then holds nothing
    erased = {r["service"]: (r["outcome"], r["records"]) for r in s.erasure["receipts"]}
    # the gateway answers too (directory, connections, calendar writes, xAPI): here the record that the
    # kickoff was not written to a calendar (the participant connected none)
    assert set(erased) == {"consent", "gateway", *PERSONAL_DATA_HOLDERS}
    assert erased["gateway"] == ("completed", 1)
    assert all(erased[name][0] == "completed" and erased[name][1] > 0 for name in PERSONAL_DATA_HOLDERS)
    assert s.access["complete"] is True
    after = {r["service"]: r["outcome"] for r in s.after_erasure["receipts"]}
    assert [after[name] for name in (*PERSONAL_DATA_HOLDERS, "gateway")] == ["nothing_held"] * 4


async def test_every_part_ready_and_anonymous_refused(stack: Stack) -> None:
    async with httpx.AsyncClient(timeout=5) as http:
        for name in ("gateway", "matching", "scheduling", "consent", "analytics"):
            ready = await http.get(f"{stack.config.url(name)}/readyz")
            checks = {"database": "ok", "broker": "ok"} | ({"graphql": "ok"} if name == "gateway" else {})
            assert ready.json() == {"status": "ok", "checks": checks}
        anonymous = await http.get(f"{stack.config.url('gateway')}/api/v1/matching/programs")
        metrics = (await http.get(f"{stack.config.url('gateway')}/metrics")).text
    assert anonymous.status_code == 401
    # Forwarded calls are counted under the route template, not under one label per raw path.
    assert (
        'http_requests_total{method="GET",route="/api/v1/{service}/{path:path}",service="gateway",status="401"}'
        in metrics
    )
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
