"""The end-to-end program slice, step by step, over HTTP through the gateway.

`make demo` prints each step; `tests/test_end_to_end.py` runs the same steps and asserts each outcome.
Every step checks what it saw and raises `StepFailed` with a plain-words reason when it is not what a
real user should see.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

WORKING_WEEK = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]


class StepFailed(AssertionError):
    """A step did not behave as a user would expect."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise StepFailed(message)


def expect_status(resp: httpx.Response, status: int, what: str) -> Any:
    if resp.status_code != status:
        raise StepFailed(f"{what}: expected HTTP {status}, got {resp.status_code}: {resp.text[:400]}")
    return resp.json() if resp.content and "json" in resp.headers.get("content-type", "") else None


@dataclass
class SliceState:
    """Everything the slice created, for later steps and for the test's assertions."""

    participant_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    unconsented_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    coach_person_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    program_id: str = ""
    coach_id: str = ""
    intake_id: str = ""
    proposal: dict[str, Any] = field(default_factory=dict)
    match: dict[str, Any] = field(default_factory=dict)
    engagement: dict[str, Any] = field(default_factory=dict)
    session: dict[str, Any] = field(default_factory=dict)
    slots: list[dict[str, Any]] = field(default_factory=list)
    vendor_id: str = ""
    vendor_secret: str = ""
    kpis: dict[str, Any] = field(default_factory=dict)
    federated: dict[str, Any] = field(default_factory=dict)
    refusals: dict[str, int] = field(default_factory=dict)
    cohort: dict[str, str] = field(default_factory=dict)
    batch: dict[str, Any] = field(default_factory=dict)
    access: dict[str, Any] = field(default_factory=dict)
    erasure: dict[str, Any] = field(default_factory=dict)
    after_erasure: dict[str, Any] = field(default_factory=dict)
    ended: dict[str, Any] = field(default_factory=dict)
    retried: dict[str, tuple[int, str | None, bool]] = field(default_factory=dict)
    hris: dict[str, Any] = field(default_factory=dict)
    lms: dict[str, Any] = field(default_factory=dict)
    calendars: dict[str, Any] = field(default_factory=dict)
    operations: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, Any] = field(default_factory=dict)


DSR = "/api/v1/consent/data-subject-requests"
SCIM_USERS = "/scim/v2/Users"
SCIM_JSON = {"Content-Type": "application/scim+json"}
SCIM_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
SCIM_ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
SCIM_PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
XAPI = {"X-Experience-API-Version": "1.0.3"}
LMS_COURSES = "https://lms.example.com/tandem"
MENTOR_CURRICULUM = {
    "bias_awareness_training": ("bias-awareness", "http://adlnet.gov/expapi/verbs/completed"),
    **{
        f"mentor_curriculum_week_{week}": (f"mentor/week-{week}", "http://adlnet.gov/expapi/verbs/passed")
        for week in range(1, 5)
    },
}
PERSONAL_DATA_HOLDERS = ("matching", "scheduling", "analytics")


def sign_webhook(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """Standard Webhooks: v1,base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")), key from `whsec_...`."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


class Slice:
    def __init__(
        self, gateway_url: str, client_id: str, client_secret: str, *, fakes: Mapping[str, str] | None = None
    ) -> None:
        self.http = httpx.AsyncClient(base_url=gateway_url, timeout=httpx.Timeout(15.0))
        # The local stand-ins (devstack's calendar fakes and development IdP), when they run: name -> URL.
        self.fakes = dict(fakes or {})
        self.client_id = client_id
        self.client_secret = client_secret
        self.state = SliceState()
        self._token = ""

    async def aclose(self) -> None:
        await self.http.aclose()

    async def token(self) -> str:
        if not self._token:
            resp = await self.http.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(self.client_id, self.client_secret),
            )
            self._token = expect_status(resp, 200, "client-credentials token")["access_token"]
        return self._token

    async def call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {await self.token()}", **kwargs.pop("headers", {})}
        return await self.http.request(method, url, headers=headers, **kwargs)

    async def eventually(self, probe: Callable[[], Awaitable[Any]], what: str, timeout: float = 20.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = await probe()
            if found:
                return found
            await asyncio.sleep(0.1)
        raise StepFailed(f"{what} did not happen within {timeout:.0f}s")

    async def _grant_matching(self, person_id: str, who: str, purpose_id: str = "matching") -> Any:
        """`person_id` grants `matching` (or `purpose_id`) under the current notice, through the gateway:
        its version."""
        purpose = expect_status(
            await self.call("GET", f"/api/v1/consent/purposes/{purpose_id}"), 200, f"{purpose_id} purpose"
        )
        granted = await self.call(
            "POST",
            f"/api/v1/consent/people/{person_id}/consents/{purpose_id}/grants",
            json={"notice_version": purpose["notice_version"], "method": "api"},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        expect(
            granted.status_code in (200, 201),
            f"{who} grant refused: {granted.status_code} {granted.text[:300]}",
        )
        return purpose["notice_version"]

    # -- 1. consent ------------------------------------------------------------------------
    async def consent_granted(self) -> str:
        s = self.state
        notice_version = await self._grant_matching(s.participant_id, "participant")
        # Vendors may send analytics the participant's session data; KPIs count them (analytics).
        await self._grant_matching(s.participant_id, "participant", "vendor_sharing")
        await self._grant_matching(s.participant_id, "participant", "analytics")
        state = expect_status(
            await self.call("GET", f"/api/v1/consent/people/{s.participant_id}/consents/matching"),
            200,
            "consent state",
        )
        expect(state["granted"] is True, "the participant's matching consent is not recorded as granted")
        return f"participant granted 'matching' (notice v{notice_version}), recorded in the ledger"

    # -- 2. matching -----------------------------------------------------------------------
    async def program_created(self) -> str:
        today = datetime.now(UTC).date()
        program = expect_status(
            await self.call(
                "POST",
                "/api/v1/matching/programs",
                json={
                    "name": "Demo leadership pilot",
                    "tracks": ["coaching", "mentoring", "dual_track"],
                    "starts_on": today.isoformat(),
                    "ends_on": (today + timedelta(days=180)).isoformat(),
                    "coach_caseload_limit": 15,
                },
            ),
            201,
            "create program",
        )
        weights = program["weights"]["weights"]
        expect(
            weights
            == {
                "technical_skills": 35,
                "behavioural_goals": 25,
                "sponsorship_history": 20,
                "availability_overlap": 10,
                "past_success": 10,
            },
            f"default weights are not the seed's 35/25/20/10/10: {weights}",
        )
        self.state.program_id = program["id"]
        return "program created with the seed weights 35/25/20/10/10"

    async def coach_registered(self) -> str:
        s = self.state
        # The coach's own profile feeds the scoring: matching ranks only providers who granted
        # `matching` themselves, so the coach consents first (through the gateway, like the participant).
        await self._grant_matching(s.coach_person_id, "coach")
        panel = [
            {
                "challenge_skill": 4,
                "behavioural_tools": 5,
                "confidentiality_practice": 4,
                "context_fluency": 4,
                "measurable_outcomes": 4,
            }
            for _ in range(3)
        ]
        coach = expect_status(
            await self.call(
                "POST",
                f"/api/v1/matching/programs/{s.program_id}/providers",
                json={
                    "person_id": s.coach_person_id,
                    "kind": "coach",
                    "timezone": "Europe/London",
                    "working_hours": WORKING_WEEK,
                    "languages": ["en"],
                    "skills": {"ml_engineering": 4, "data_platforms": 3},
                    "behavioural_focus": ["stakeholder_management", "decision_hygiene"],
                    "calibration": panel,
                    "capacity": 10,
                },
            ),
            201,
            "register coach",
        )
        s.coach_id = coach["id"]
        # Eligibility follows training evidence from an LMS; this coach was certified before one was
        # connected, so the program manager overrides the evidence gates, with a reason (audited).
        overridden = expect_status(
            await self.call(
                "PATCH",
                f"/api/v1/matching/providers/{s.coach_id}",
                json={
                    "override": {
                        "gates": [
                            "coach_demo_review",
                            "coach_co_coaching_session",
                            "calibration_review",
                            "recertification",
                        ],
                        "reason": "demo: certified before the LMS was connected",
                    }
                },
            ),
            200,
            "override the coach's evidence gates",
        )
        expect(overridden["eligible"], f"coach not eligible after the override: {overridden}")
        return (
            "coach granted 'matching' and registered (calibration median 4/5, capacity 10); "
            "evidence gates overridden by the program manager, with a reason"
        )

    async def intake_submitted(self) -> str:
        s = self.state
        intake = expect_status(
            await self.call(
                "POST",
                f"/api/v1/matching/programs/{s.program_id}/intakes",
                json={
                    "person_id": s.participant_id,
                    "triggers": ["performance_gap"],
                    "timezone": "America/New_York",
                    "working_hours": WORKING_WEEK,
                    "languages": ["en"],
                    "wanted_skills": {"ml_engineering": 3},
                    "behavioural_goals": ["stakeholder_management"],
                },
            ),
            201,
            "submit intake",
        )
        expect(
            intake["track"] == "coach",
            f"performance gap should decide the coach track, got {intake['track']}",
        )
        s.intake_id = intake["id"]
        return f"intake with a performance gap -> track '{intake['track']}' ({intake['track_reason']})"

    async def proposal_ranked(self) -> str:
        s = self.state
        proposal = expect_status(
            await self.call(
                "POST", "/api/v1/matching/proposals", json={"intake_id": s.intake_id, "kind": "coach"}
            ),
            201,
            "request proposal",
        )
        expect(proposal["status"] == "pending", f"a new proposal should be pending, is {proposal['status']}")
        top = proposal["candidates"][0]
        expect(top["provider_id"] == s.coach_id, "the registered coach is not the top candidate")
        total = sum(sig["contribution"] for sig in top["signals"])
        expect(
            abs(total - top["score"]) < 1e-6,
            f"contributions {total} do not add up to the score {top['score']}",
        )
        s.proposal = proposal
        return f"proposal ranked the coach first, score {top['score']:.1f} = sum of {len(top['signals'])} signal contributions"

    async def no_consent_refused(self) -> str:
        s = self.state
        intake = expect_status(
            await self.call(
                "POST",
                f"/api/v1/matching/programs/{s.program_id}/intakes",
                json={
                    "person_id": s.unconsented_id,
                    "triggers": ["career_transition"],
                    "timezone": "Europe/Paris",
                    "working_hours": WORKING_WEEK,
                    "languages": ["en"],
                },
            ),
            201,
            "intake without consent",
        )
        refused = await self.call("POST", "/api/v1/matching/proposals", json={"intake_id": intake["id"]})
        body = expect_status(refused, 409, "proposal for a person without matching consent")
        expect(refused.headers["content-type"] == "application/problem+json", "refusal is not problem+json")
        s.refusals["no_consent"] = refused.status_code
        return f"a participant without 'matching' consent is refused: 409 {body['title']}"

    async def match_approved(self) -> str:
        s = self.state
        match = expect_status(
            await self.call(
                "POST",
                f"/api/v1/matching/proposals/{s.proposal['id']}/approve",
                json={"provider_id": s.coach_id, "reason": "demo approval"},
            ),
            200,
            "approve proposal",
        )
        s.match = match
        return "program manager approved the match -> MatchApproved written to the outbox"

    async def _match_participant(self, person_id: str) -> str:
        """Consent, intake with a performance gap, proposal, approval: the match id."""
        s = self.state
        await self._grant_matching(person_id, "cohort participant")
        # Vendor telemetry is kept only under `vendor_sharing`, and KPIs count only people whose
        # `analytics` consent covered the fact (docs/analytics.md).
        await self._grant_matching(person_id, "cohort participant", "vendor_sharing")
        await self._grant_matching(person_id, "cohort participant", "analytics")
        intake = expect_status(
            await self.call(
                "POST",
                f"/api/v1/matching/programs/{s.program_id}/intakes",
                json={
                    "person_id": person_id,
                    "triggers": ["performance_gap"],
                    "timezone": "Europe/Berlin",
                    "working_hours": WORKING_WEEK,
                    "languages": ["en"],
                    "wanted_skills": {"data_platforms": 2},
                },
            ),
            201,
            "cohort intake",
        )
        proposal = expect_status(
            await self.call(
                "POST", "/api/v1/matching/proposals", json={"intake_id": intake["id"], "kind": "coach"}
            ),
            201,
            "cohort proposal",
        )
        match = expect_status(
            await self.call("POST", f"/api/v1/matching/proposals/{proposal['id']}/approve", json={}),
            200,
            "cohort approval",
        )
        return str(match["id"])

    async def cohort_matched(self) -> str:
        s = self.state
        s.cohort = {s.participant_id: s.match["id"]}
        for _ in range(4):
            person = str(uuid.uuid4())
            s.cohort[person] = await self._match_participant(person)
        return f"four more participants consented and were matched: {len(s.cohort)} coachees in the program"

    # -- 3. scheduling ---------------------------------------------------------------------
    async def engagement_created(self) -> str:
        s = self.state

        async def probe() -> dict[str, Any] | None:
            resp = await self.call(
                "GET", "/api/v1/scheduling/engagements", params={"participant_id": s.participant_id}
            )
            rows = resp.json()["items"] if resp.status_code == 200 else []
            return next((e for e in rows if e["match_id"] == s.match["id"]), None)

        s.engagement = await self.eventually(probe, "the engagement for the approved match")
        clocks = expect_status(
            await self.call("GET", f"/api/v1/scheduling/engagements/{s.engagement['id']}/sla-clocks"),
            200,
            "SLA clocks",
        )
        kickoff = next((c for c in clocks if c["kind"] == "kickoff_held"), None)
        expect(kickoff is not None, "the engagement has no kickoff SLA clock")
        assert kickoff is not None
        due = datetime.fromisoformat(kickoff["due_at"])
        approved = datetime.fromisoformat(s.engagement["approved_at"])
        expect(
            due - approved <= timedelta(days=7), f"kickoff SLA due {due} is more than 7 days after {approved}"
        )
        return f"scheduling consumed MatchApproved -> engagement, kickoff due {due:%Y-%m-%d %H:%M} UTC (within 7 days)"

    async def kickoff_booked(self) -> str:
        s = self.state
        eid = s.engagement["id"]
        slots = expect_status(
            await self.call("GET", f"/api/v1/scheduling/engagements/{eid}/slots", params={"duration": 60}),
            200,
            "slot search",
        )["slots"]
        expect(bool(slots), "no slot inside both people's working hours before the kickoff deadline")
        first = slots[0]
        url = f"/api/v1/scheduling/engagements/{eid}/sessions"
        body = {"starts_at": first["starts_at"], "duration_minutes": 60, "kind": "kickoff"}
        key = {"Idempotency-Key": str(uuid.uuid4())}
        booked = expect_status(await self.call("POST", url, json=body, headers=key), 201, "book kickoff")
        # A client that lost the answer retries with the same key: the first answer, nothing booked twice.
        retry = await self.call("POST", url, json=body, headers=key)
        replayed = retry.headers.get("idempotency-replayed")
        same = retry.status_code == 201 and retry.json().get("id") == booked["id"]
        s.retried["kickoff"] = (retry.status_code, replayed, same)
        expect(
            s.retried["kickoff"] == (201, "true", True), f"retried kickoff booking: {s.retried['kickoff']}"
        )
        s.session = booked
        s.slots = slots
        clocks = expect_status(
            await self.call("GET", f"/api/v1/scheduling/engagements/{eid}/sla-clocks"), 200, "SLA clocks"
        )
        kickoff = next(c for c in clocks if c["kind"] == "kickoff_held")
        # The kickoff promise is kept when the kickoff is held (recorded attended), not when booked.
        expect(kickoff["met_at"] is None, "booking the kickoff met the kickoff-held SLA")
        return (
            f"{len(slots)} slots found in both time zones; kickoff booked at {first['starts_at']}, once "
            "(its retry with the same Idempotency-Key replayed); SLA open until the kickoff is held"
        )

    async def double_booking_refused(self) -> str:
        s = self.state
        eid = s.engagement["id"]
        booked_start = datetime.fromisoformat(s.session["starts_at"])
        booked_end = datetime.fromisoformat(s.session["ends_at"])
        # Another slot both people are free for, which overlaps the kickoff just booked.
        overlapping = [
            datetime.fromisoformat(x["starts_at"])
            for x in s.slots
            if booked_start < datetime.fromisoformat(x["starts_at"]) < booked_end
        ]
        # Without a partly overlapping slot on the grid, the very same time overlaps too.
        start = overlapping[0] if overlapping else booked_start
        resp = await self.call(
            "POST",
            f"/api/v1/scheduling/engagements/{eid}/sessions",
            json={"starts_at": start.isoformat(), "duration_minutes": 60, "kind": "regular"},
        )
        expect_status(resp, 409, "overlapping booking")
        s.refusals["double_booking"] = resp.status_code
        return "an overlapping booking is refused: 409 (PostgreSQL exclusion constraint)"

    # -- 4. analytics ----------------------------------------------------------------------
    async def vendor_registered(self) -> str:
        vendor = expect_status(
            await self.call(
                "POST", "/api/v1/analytics/vendors", json={"name": f"DemoCoach-{uuid.uuid4().hex[:6]}"}
            ),
            201,
            "register vendor",
        )
        self.state.vendor_id = vendor["id"]
        self.state.vendor_secret = vendor["secret"]
        return "vendor platform registered; its webhook secret is shown once"

    def _vendor_event(self) -> bytes:
        s = self.state
        return json.dumps(
            {
                "type": "session.scheduled",
                "timestamp": datetime.now(UTC).isoformat(),
                "data": {
                    "vendor_session_id": f"v-{s.session['id']}",
                    "session_id": s.session["id"],
                    "engagement_id": s.engagement["id"],
                    "match_id": s.match["id"],
                    "participant_id": s.participant_id,
                    "provider_id": s.coach_id,
                    "started_at": s.session["starts_at"],
                    "duration_minutes": 60,
                },
            }
        ).encode()

    async def push(
        self,
        body: bytes,
        msg_id: str,
        *,
        secret: str | None = None,
        ts: int | None = None,
        batch: bool = False,
    ) -> httpx.Response:
        timestamp = ts if ts is not None else int(time.time())
        signature = sign_webhook(secret or self.state.vendor_secret, msg_id, timestamp, body)
        suffix = "events:batch" if batch else "events"
        return await self.call(
            "POST",
            f"/api/v1/analytics/vendors/{self.state.vendor_id}/{suffix}",
            content=body,
            headers={
                "content-type": "application/json",
                "webhook-id": msg_id,
                "webhook-timestamp": str(timestamp),
                "webhook-signature": signature,
            },
        )

    async def vendor_session_pushed(self) -> str:
        body = self._vendor_event()
        msg_id = f"msg_{uuid.uuid4().hex}"

        async def stored() -> dict[str, Any] | None:
            # Dropped (not recorded) until analytics has the participant's vendor_sharing grant.
            answer: dict[str, Any] = expect_status(await self.push(body, msg_id), 202, "signed session event")
            return None if answer.get("dropped") else answer

        first = await self.eventually(stored, "the participant's vendor_sharing grant reaching analytics")
        expect(first["duplicate"] is False, "the first push was reported as a duplicate")
        again = await self.push(body, msg_id)
        expect(
            again.status_code in (200, 202) and again.json()["duplicate"] is True, "a replay was not detected"
        )
        wrong = base64.b64encode(b"x" * 32).decode()
        bad = await self.push(body, f"msg_{uuid.uuid4().hex}", secret=f"whsec_{wrong}")
        expect_status(bad, 401, "push with a bad signature")
        stale = await self.push(body, f"msg_{uuid.uuid4().hex}", ts=int(time.time()) - 600)
        expect_status(stale, 401, "push with a stale timestamp")
        self.state.refusals.update(bad_signature=bad.status_code, stale_signature=stale.status_code)
        return "signed session.scheduled stored once (replay detected); bad and stale signatures refused: 401"

    async def vendor_batch_pushed(self) -> str:
        """Just-held completed sessions of the whole cohort, in one signed batch (one id sent twice).

        They started after the cohort granted `analytics` (a moment ago): the KPIs count a session only
        when the participant's consent covered it."""
        s = self.state
        # Reported as they end, so after every grant (a slice can run its steps within a second).
        yesterday = datetime.now(UTC)
        items = [
            {
                "id": f"msg_{uuid.uuid4().hex}",
                "type": "session.completed",
                "timestamp": yesterday.isoformat(),
                "data": {
                    "vendor_session_id": f"v-{uuid.uuid4().hex[:12]}",
                    "match_id": match_id,
                    "participant_id": person,
                    "provider_id": s.coach_id,
                    "started_at": yesterday.isoformat(),
                    "duration_minutes": 55,
                    "rating": 5,
                },
            }
            for person, match_id in s.cohort.items()
        ]
        items.append(items[0])  # a vendor retry inside the batch: stored once
        resp = await self.push(json.dumps(items).encode(), f"msg_{uuid.uuid4().hex}", batch=True)
        result = expect_status(resp, 200, "signed batch")
        expect(
            (result["accepted"], result["duplicates"], result["rejected"]) == (len(s.cohort), 1, 0),
            f"batch result {result['accepted']}/{result['duplicates']}/{result['rejected']} is not {len(s.cohort)}/1/0",
        )
        s.batch = result
        return f"one signed batch of {len(items)} session.completed: {result['accepted']} stored, 1 duplicate ignored"

    async def kpis_computed(self) -> str:
        s = self.state

        async def probe() -> dict[str, Any] | None:
            resp = await self.call("GET", "/api/v1/analytics/kpis", params={"program_id": s.program_id})
            if resp.status_code != 200:
                return None
            kpis = {k["name"]: k for k in resp.json()}
            completion = kpis.get("session_completion_rate", {})
            coaching = kpis.get("coach_to_coachee_ratio", {})
            ready = completion.get("denominator") == len(s.cohort) and coaching.get("numerator") == len(
                s.cohort
            )
            return kpis if ready else None

        names = ("coach_to_coachee_ratio", "coach_utilization", "session_completion_rate")
        try:
            s.kpis = await self.eventually(probe, "KPIs over the cohort's matches and completed sessions")
        except StepFailed:
            # On a stack that ran the demo before, the earlier programs hold a few people still
            # counted: all programs minus this one would describe fewer than k people, so the
            # differencing guard withholds this program's figures (docs/analytics.md).
            resp = await self.call("GET", "/api/v1/analytics/kpis", params={"program_id": s.program_id})
            kpis = {k["name"]: k for k in resp.json()} if resp.status_code == 200 else {}
            withheld = [n for n in names if kpis.get(n, {}).get("suppressed")]
            if not withheld:
                raise
            s.kpis = kpis
            return (
                f"KPIs: {', '.join(withheld)} withheld by the differencing guard (earlier demo programs on "
                "this stack hold fewer than k counted people; a fresh TANDEM_HOME shows every figure); "
                + ", ".join(f"{n}={_kpi_text(kpis[n])}" for n in names if n not in withheld and n in kpis)
            )
        expected = {"coach_to_coachee_ratio": 5.0, "coach_utilization": 0.5, "session_completion_rate": 1.0}
        for name, value in expected.items():
            expect(s.kpis[name]["value"] == value, f"{name} is {s.kpis[name]['value']}, expected {value}")
        return "KPIs: " + ", ".join(f"{n}={_kpi_text(s.kpis[n])}" for n in names)

    # -- 5. federation ---------------------------------------------------------------------
    async def federated_query(self) -> str:
        s = self.state
        query = """
        query Slice($id: ID!) {
          match(id: $id) {
            id
            score
            participant { id consents { purpose granted } }
            engagement { id status sessions { id startsAt } }
          }
        }"""

        async def probe() -> dict[str, Any] | None:
            resp = await self.call(
                "POST", "/graphql", json={"query": query, "variables": {"id": s.match["id"]}}
            )
            return resp.json() if resp.status_code == 200 else None

        body = await self.eventually(probe, "the federated GraphQL endpoint", timeout=30)
        expect(not body.get("errors"), f"GraphQL errors: {body.get('errors')}")
        match = body["data"]["match"]
        expect(match["engagement"]["id"] == s.engagement["id"], "the match's engagement is not scheduling's")
        expect([x["id"] for x in match["engagement"]["sessions"]] == [s.session["id"]], "sessions differ")
        consents = {c["purpose"]: c["granted"] for c in match["participant"]["consents"]}
        expect(consents.get("matching") is True, f"participant consents not joined: {consents}")
        s.federated = match
        return "one GraphQL query returned the match (matching), its engagement and session (scheduling) and the participant's consents (consent)"

    # -- 6. a match ends --------------------------------------------------------------------
    async def match_ended(self) -> str:
        s = self.state
        person, match_id = next((p, m) for p, m in s.cohort.items() if p != s.participant_id)
        ended = expect_status(
            await self.call("POST", f"/api/v1/matching/matches/{match_id}/end", json={"reason": "completed"}),
            200,
            "ending a match",
        )
        expect(ended["status"] == "ended", f"the match is {ended['status']}, not ended")
        again = await self.call(
            "POST", f"/api/v1/matching/matches/{match_id}/end", json={"reason": "completed"}
        )
        expect_status(again, 409, "ending the match twice")

        async def probe() -> dict[str, Any] | None:
            resp = await self.call("GET", "/api/v1/scheduling/engagements", params={"participant_id": person})
            rows = resp.json()["items"] if resp.status_code == 200 else []
            return next((e for e in rows if e["match_id"] == match_id and e["status"] == "ended"), None)

        engagement = await self.eventually(probe, "scheduling ending the engagement of the ended match")
        later = datetime.fromisoformat(s.session["starts_at"]) + timedelta(days=14)
        refused = await self.call(
            "POST",
            f"/api/v1/scheduling/engagements/{engagement['id']}/sessions",
            json={"starts_at": later.isoformat(), "duration_minutes": 60, "kind": "regular"},
        )
        expect_status(refused, 409, "booking into an ended engagement")
        s.ended = {"match": ended, "engagement": engagement, "booking_status": refused.status_code}
        return "a program manager ended a match (completed) -> MatchEnded; scheduling ended its engagement and refuses new bookings: 409"

    # -- 7. the HRIS provisions and deprovisions a participant ---------------------------------
    async def _book_kickoff(self, person_id: str, match_id: str) -> dict[str, Any]:
        """Wait for the match's engagement and book its kickoff in the first free slot: the session."""

        async def probe() -> dict[str, Any] | None:
            resp = await self.call(
                "GET", "/api/v1/scheduling/engagements", params={"participant_id": person_id}
            )
            rows = resp.json()["items"] if resp.status_code == 200 else []
            return next((e for e in rows if e["match_id"] == match_id), None)

        engagement = await self.eventually(probe, "the engagement of the HRIS-provisioned participant")
        url = f"/api/v1/scheduling/engagements/{engagement['id']}"
        slots = expect_status(await self.call("GET", f"{url}/slots", params={"duration": 60}), 200, "slots")
        expect(bool(slots["slots"]), "no free slot for the HRIS-provisioned participant's kickoff")
        body = {"starts_at": slots["slots"][0]["starts_at"], "duration_minutes": 60, "kind": "kickoff"}
        booked: dict[str, Any] = expect_status(
            await self.call("POST", f"{url}/sessions", json=body), 201, "book the kickoff"
        )
        return booked

    async def hris_provisioned(self) -> str:
        """As Microsoft Entra ID provisions: look the user up by userName, create it, then the person
        joins the program under the id the directory gave them."""
        s = self.state
        user_name = f"ada.lovelace.{uuid.uuid4().hex[:8]}@example.com"
        lookup = expect_status(
            await self.call("GET", SCIM_USERS, params={"filter": f'userName eq "{user_name}"'}),
            200,
            "SCIM filter before create",
        )
        expect(lookup["totalResults"] == 0, f"a user {user_name} exists before it was created")
        user = {
            "schemas": [SCIM_USER, SCIM_ENTERPRISE],
            "userName": user_name,
            "externalId": uuid.uuid4().hex,
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"value": user_name, "type": "work", "primary": True}],
            "title": "Engineering Manager",
            "active": True,
            SCIM_ENTERPRISE: {"department": "Platform", "employeeNumber": "E-1815"},
        }
        created = expect_status(
            await self.call("POST", SCIM_USERS, content=json.dumps(user), headers=SCIM_JSON),
            201,
            "SCIM create",
        )
        person_id = created["id"]
        again = await self.call("POST", SCIM_USERS, content=json.dumps(user), headers=SCIM_JSON)
        expect_status(again, 409, "SCIM create of the same userName")
        expect(again.json().get("scimType") == "uniqueness", f"duplicate userName: {again.text[:200]}")
        retitled = expect_status(
            await self.call(
                "PATCH",
                f"{SCIM_USERS}/{person_id}",
                content=json.dumps(
                    {
                        "schemas": [SCIM_PATCH],
                        "Operations": [
                            {"op": "Replace", "path": "title", "value": "Director of Engineering"}
                        ],
                    }
                ),
                headers=SCIM_JSON,
            ),
            200,
            "SCIM PATCH title",
        )
        expect(retitled["title"] == "Director of Engineering", f"title not replaced: {retitled.get('title')}")
        match_id = await self._match_participant(person_id)
        session = await self._book_kickoff(person_id, match_id)
        s.hris = {"person_id": person_id, "match_id": match_id, "session_id": session["id"], "user": created}
        return (
            "an HRIS (Entra-style) looked the user up, created them (a second create: 409 uniqueness) and "
            "patched the title; the new person consented, was matched and booked a kickoff"
        )

    async def hris_deprovisioned(self) -> str:
        s = self.state
        person_id, match_id = s.hris["person_id"], s.hris["match_id"]
        off = {"schemas": [SCIM_PATCH], "Operations": [{"op": "Replace", "path": "active", "value": False}]}
        patched = expect_status(
            await self.call("PATCH", f"{SCIM_USERS}/{person_id}", content=json.dumps(off), headers=SCIM_JSON),
            200,
            "SCIM PATCH active=false",
        )
        expect(patched["active"] is False, "the user is still active after the deprovisioning PATCH")

        async def ended() -> dict[str, Any] | None:
            resp = await self.call("GET", f"/api/v1/matching/matches/{match_id}")
            body: dict[str, Any] = resp.json() if resp.status_code == 200 else {}
            return body if body.get("status") == "ended" else None

        match = await self.eventually(ended, "matching ending the deactivated participant's match")
        expect(match["end_reason"] == "terminated", f"the match ended as {match['end_reason']}")

        async def cancelled() -> dict[str, Any] | None:
            resp = await self.call(
                "GET", "/api/v1/scheduling/engagements", params={"participant_id": person_id}
            )
            rows = resp.json()["items"] if resp.status_code == 200 else []
            engagement = next((e for e in rows if e["match_id"] == match_id), None)
            if engagement is None:
                return None
            sessions = await self.call("GET", f"/api/v1/scheduling/engagements/{engagement['id']}/sessions")
            found = [x for x in sessions.json()["items"] if x["id"] == s.hris["session_id"]]
            return found[0] if found and found[0]["status"] == "cancelled" else None

        session = await self.eventually(
            cancelled, "scheduling cancelling the deactivated participant's kickoff"
        )
        s.hris |= {"ended_match": match, "cancelled_session": session}
        return (
            "the HRIS deprovisioned the participant (PATCH active=false) -> PersonDeactivated; matching "
            "ended their match (terminated), scheduling cancelled their kickoff"
        )

    # -- 8. an LMS's evidence makes a mentor eligible -----------------------------------------
    async def _scim_person(self, given: str, family: str, title: str) -> dict[str, Any]:
        user_name = f"{given}.{family}.{uuid.uuid4().hex[:8]}@example.com".lower()
        user = {
            "schemas": [SCIM_USER],
            "userName": user_name,
            "name": {"givenName": given, "familyName": family},
            "emails": [{"value": user_name, "type": "work", "primary": True}],
            "title": title,
            "active": True,
        }
        created: dict[str, Any] = expect_status(
            await self.call("POST", SCIM_USERS, content=json.dumps(user), headers=SCIM_JSON),
            201,
            "SCIM create",
        )
        return created

    async def _mentor_eligibility(self) -> dict[str, Any]:
        found: dict[str, Any] = expect_status(
            await self.call("GET", f"/api/v1/matching/providers/{self.state.lms['mentor_id']}/eligibility"),
            200,
            "mentor eligibility",
        )
        return found

    async def mentor_waits_for_training(self) -> str:
        """A mentor provisioned by the HRIS registers and signs the commitment; the program maps its LMS
        courses to the mentor gates; without training evidence the mentor is not eligible."""
        s = self.state
        mentor = await self._scim_person("Grace", "Hopper", "VP Engineering")
        await self._grant_matching(mentor["id"], "mentor")
        for item, (course, _verb) in MENTOR_CURRICULUM.items():
            rule = {"rule": "passed"} if item.startswith("mentor_curriculum") else {}
            expect_status(
                await self.call(
                    "POST",
                    f"/api/v1/admin/xapi/programs/{s.program_id}/curriculum",
                    json={"activity_id": f"{LMS_COURSES}/{course}", "item": item, **rule},
                ),
                201,
                f"map {course} to {item}",
            )
        registered = expect_status(
            await self.call(
                "POST",
                f"/api/v1/matching/programs/{s.program_id}/providers",
                json={
                    "person_id": mentor["id"],
                    "kind": "mentor",
                    "timezone": "America/New_York",
                    "working_hours": WORKING_WEEK,
                    "languages": ["en"],
                    "skills": {"ml_engineering": 5},
                    "behavioural_focus": ["stakeholder_management"],
                    "commitment_signed": True,
                    "sponsorship_actions": 4,
                    "promotions_sponsored": 2,
                    "capacity": 3,
                },
            ),
            201,
            "register mentor",
        )
        s.lms = {"mentor": mentor, "mentor_id": registered["id"]}
        before = await self._mentor_eligibility()
        missing = sorted(g["name"] for g in before["gates"] if g["status"] == "missing")
        expect(before["eligible"] is False, f"a mentor without training is eligible: {before}")
        expect(missing == sorted(MENTOR_CURRICULUM), f"missing gates: {missing}")
        s.lms["before"] = before
        return f"a mentor registered with the commitment signed is not eligible yet: {len(missing)} training gates missing"

    async def lms_evidence_makes_mentor_eligible(self) -> str:
        s = self.state
        email = s.lms["mentor"]["emails"][0]["value"]
        now = datetime.now(UTC)
        statements = [
            {
                "id": str(uuid.uuid4()),
                "actor": {"objectType": "Agent", "mbox": f"mailto:{email}"},
                "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[1]}},
                "object": {"objectType": "Activity", "id": f"{LMS_COURSES}/{course}"},
                "result": {"success": True, "completion": True, "score": {"scaled": 0.9}},
                "timestamp": (now - timedelta(days=30 - i)).isoformat(),
            }
            for i, (course, verb) in enumerate(MENTOR_CURRICULUM.values())
        ]
        url = "/xapi/statements"
        missing_version = await self.call("POST", url, json=statements)
        expect_status(missing_version, 400, "xAPI POST without X-Experience-API-Version")
        stored = expect_status(await self.call("POST", url, json=statements, headers=XAPI), 200, "xAPI POST")
        expect(stored == [x["id"] for x in statements], f"the LRS answered other ids: {stored}")
        # The LMS retries the batch (its answer was lost): the same ids, nothing recorded twice.
        expect_status(await self.call("POST", url, json=statements, headers=XAPI), 200, "xAPI POST again")

        async def eligible() -> dict[str, Any] | None:
            found = await self._mentor_eligibility()
            return found if found["eligible"] else None

        after = await self.eventually(eligible, "the mentor becoming eligible from the LMS's evidence")
        intake = expect_status(
            await self.call(
                "POST",
                f"/api/v1/matching/programs/{s.program_id}/intakes",
                json={
                    "person_id": str(uuid.uuid4()),
                    "triggers": ["career_transition"],
                    "timezone": "America/Chicago",
                    "working_hours": WORKING_WEEK,
                    "languages": ["en"],
                    "wanted_skills": {"ml_engineering": 4},
                },
            ),
            201,
            "mentee intake",
        )
        await self._grant_matching(intake["person_id"], "mentee")
        proposal = expect_status(
            await self.call(
                "POST", "/api/v1/matching/proposals", json={"intake_id": intake["id"], "kind": "mentor"}
            ),
            201,
            "mentor proposal",
        )
        ranked = [c["provider_id"] for c in proposal["candidates"]]
        expect(s.lms["mentor_id"] in ranked, f"the eligible mentor is not ranked: {ranked}")
        s.lms |= {"after": after, "statements": [x["id"] for x in statements], "ranked": ranked}
        return (
            f"an LMS posted {len(statements)} xAPI statements (bias training, four weekly passes; without "
            "the version header: 400; sent twice: stored once) -> the mentor is eligible and ranked"
        )

    # -- 9. calendars: both people's calendars shape the slots and receive the session --------
    async def _person_token(self, person_id: str, group: str, email: str) -> str:
        """A person's access token from the development IdP (the front end's token, in production)."""
        resp = await self.http.post(
            f"{self.fakes['idp']}/_fake/token",
            json={"person_id": person_id, "groups": [group], "email": email},
        )
        token: str = expect_status(resp, 200, "development IdP token")["access_token"]
        return token

    async def _connect_calendar(self, token: str, provider: str, email: str) -> dict[str, Any]:
        """The authorization-code flow a front end runs: start, the provider's consent, the callback."""
        me = {"Authorization": f"Bearer {token}"}
        started = expect_status(
            await self.http.post("/api/v1/calendars/connections", json={"provider": provider}, headers=me),
            201,
            f"start the {provider} connection",
        )
        consent = await self.http.get(
            f"{started['authorize_url']}&login_hint={email}", follow_redirects=False
        )
        expect(
            consent.status_code in (302, 303),
            f"{provider} consent: {consent.status_code} {consent.text[:200]}",
        )
        back = parse_qs(urlsplit(consent.headers["location"]).query)
        connection: dict[str, Any] = expect_status(
            await self.http.post(
                "/api/v1/calendars/connections/callback",
                json={"state": back["state"][0], "code": back["code"][0]},
                headers=me,
            ),
            200,
            f"complete the {provider} connection",
        )
        expect(connection["status"] == "active", f"{provider} connection is {connection['status']}")
        return connection

    async def _fake_events(self, provider: str, email: str) -> list[dict[str, Any]]:
        resp = await self.http.get(f"{self.fakes[provider]}/_fake/events", params={"user": email})
        body = expect_status(resp, 200, f"{provider} fake events")
        events: list[dict[str, Any]] = body["items"] if provider == "google" else body["value"]
        return events

    async def calendars_connected(self) -> str:
        """A new participant connects Google, the coach Microsoft 365; each has a meeting the slots
        must avoid."""
        s = self.state
        person = str(uuid.uuid4())
        match_id = await self._match_participant(person)

        async def probe() -> dict[str, Any] | None:
            resp = await self.call("GET", "/api/v1/scheduling/engagements", params={"participant_id": person})
            rows = resp.json()["items"] if resp.status_code == 200 else []
            return next((e for e in rows if e["match_id"] == match_id), None)

        engagement = await self.eventually(probe, "the engagement of the participant with a calendar")
        people = {
            "participant": (person, "tandem-participants", f"lin.{person[:8]}@acme.test", "google"),
            "coach": (
                s.coach_person_id,
                "tandem-coaches",
                f"coach.{s.coach_person_id[:8]}@acme.test",
                "microsoft",
            ),
        }
        url = f"/api/v1/scheduling/engagements/{engagement['id']}/slots"
        free = expect_status(
            await self.call("GET", url, params={"duration": 60}), 200, "slots before calendars"
        )
        expect(len(free["slots"]) >= 2, "fewer than two free slots for the calendar demo")
        unconnected = {c["role"]: (c["calendar"], c["reason"]) for c in free["calendars"]}
        expect(
            set(unconnected.values()) == {("unverified", "not_connected")},
            f"before connecting, the calendars should be 'unverified: not_connected': {unconnected}",
        )
        tokens: dict[str, str] = {}
        for role, (person_id, group, email, provider) in people.items():
            tokens[role] = await self._person_token(person_id, group, email)
            await self._connect_calendar(tokens[role], provider, email)
        # Each person's calendar gets a meeting over one of the two earliest free slots.
        busy = {
            "participant": (free["slots"][0]["starts_at"], free["slots"][0]["ends_at"]),
            "coach": (free["slots"][1]["starts_at"], free["slots"][1]["ends_at"]),
        }
        for role, (start, end) in busy.items():
            _, _, email, provider = people[role]
            expect_status(
                await self.http.post(
                    f"{self.fakes[provider]}/_fake/events", json={"user": email, "start": start, "end": end}
                ),
                201,
                f"a meeting in the {role}'s {provider} calendar",
            )
        s.calendars = {"engagement": engagement, "people": people, "tokens": tokens, "busy": busy}
        return (
            "a participant connected Google and the coach Microsoft 365 (authorization code with PKCE); "
            "each calendar has a meeting over one of the first free slots"
        )

    async def calendar_slots_and_booking(self) -> str:
        s = self.state
        engagement, people, busy = s.calendars["engagement"], s.calendars["people"], s.calendars["busy"]
        url = f"/api/v1/scheduling/engagements/{engagement['id']}"

        async def verified() -> dict[str, Any] | None:
            found: dict[str, Any] = expect_status(
                await self.call("GET", f"{url}/slots", params={"duration": 60}), 200, "slots with calendars"
            )
            statuses = {c["role"]: c["calendar"] for c in found["calendars"]}
            return found if statuses == {"participant": "verified", "provider": "verified"} else None

        found = await self.eventually(verified, "both calendars read for the slots")
        starts = {x["starts_at"] for x in found["slots"]}
        clashing = [role for role, (start, _end) in busy.items() if start in starts]
        expect(not clashing, f"a slot over a calendar meeting is offered: {clashing}")
        first = found["slots"][0]
        session = expect_status(
            await self.call(
                "POST",
                f"{url}/sessions",
                json={"starts_at": first["starts_at"], "duration_minutes": 60, "kind": "kickoff"},
            ),
            201,
            "book the kickoff against both calendars",
        )

        async def written() -> dict[str, list[dict[str, Any]]] | None:
            seen = {}
            for role, (_, _, email, provider) in people.items():
                mine = [
                    e for e in await self._fake_events(provider, email) if _is_session_event(e, session["id"])
                ]
                seen[role] = mine
            return seen if all(len(v) == 1 for v in seen.values()) else None

        events = await self.eventually(written, "the session's event in both calendars", 30)
        s.calendars |= {"slots": found, "session": session, "events": events}
        return (
            f"slots avoid both meetings (both calendars verified); kickoff booked at {first['starts_at']} -> "
            "one event in the participant's Google calendar and one in the coach's Outlook calendar"
        )

    async def calendar_cancelled(self) -> str:
        s = self.state
        engagement, session, people = s.calendars["engagement"], s.calendars["session"], s.calendars["people"]
        expect_status(
            await self.call(
                "POST",
                f"/api/v1/scheduling/engagements/{engagement['id']}/sessions/{session['id']}/cancel",
                json={"reason": "demo"},
            ),
            200,
            "cancel the kickoff",
        )

        async def gone() -> bool:
            for _, _, email, provider in people.values():
                for event in await self._fake_events(provider, email):
                    if _is_session_event(event, session["id"]) and event.get("status") != "cancelled":
                        return False
            return True

        await self.eventually(gone, "the session's events cancelled in both calendars", 30)
        return "the kickoff was cancelled -> its event is gone from both calendars"

    # -- 10. personal data -----------------------------------------------------------------
    async def _answered_request(self, kind: str) -> dict[str, Any]:
        """Open an access or erasure request for the participant and wait until every service answered."""
        opened = expect_status(
            await self.call(
                "POST",
                DSR,
                json={"person_id": self.state.participant_id, "kind": kind, "note": "make demo"},
            ),
            201,
            f"{kind} request",
        )

        async def probe() -> dict[str, Any] | None:
            body = expect_status(await self.call("GET", f"{DSR}/{opened['id']}"), 200, f"{kind} request")
            return body if body["status"] == "completed" else None

        answered: dict[str, Any] = await self.eventually(
            probe, f"every service answering the {kind} request", 30
        )
        return answered

    async def access_answered(self) -> str:
        s = self.state
        request = await self._answered_request("access")
        export = expect_status(await self.call("GET", f"{DSR}/{request['id']}/export"), 200, "access export")
        held = {r["service"]: r for r in request["receipts"]}
        expect(
            all(held[name]["outcome"] == "completed" for name in PERSONAL_DATA_HOLDERS),
            f"a service holding the participant's data exported nothing: {held}",
        )
        expect(
            s.match["id"] in json.dumps(export["services"]["matching"]), "matching's export lacks the match"
        )
        expect(
            s.session["id"] in json.dumps(export["services"]["scheduling"]),
            "scheduling's export lacks the kickoff session",
        )
        s.access = export
        counts = ", ".join(f"{name} {held[name]['records']}" for name in PERSONAL_DATA_HOLDERS)
        return f"access request answered by every service with the participant's data ({counts} records)"

    async def erasure_answered(self) -> str:
        s = self.state
        s.erasure = await self._answered_request("erasure")
        s.after_erasure = await self._answered_request("access")
        left = {
            r["service"]: r["outcome"]
            for r in s.after_erasure["receipts"]
            if r["service"] in PERSONAL_DATA_HOLDERS
        }
        expect(
            set(left.values()) == {"nothing_held"},
            f"after erasure a service still holds the participant's data: {left}",
        )
        erased = ", ".join(
            f"{r['service']} {r['records']}"
            for r in s.erasure["receipts"]
            if r["service"] in PERSONAL_DATA_HOLDERS
        )
        return f"erasure reached every service ({erased} records); a new access request finds nothing"

    # -- 10. program operations: controls, attendance, dual-track handoff and sponsor actions -----
    async def program_paused_and_resumed(self) -> str:
        """The operations owner pauses onboarding: new intakes are refused, then resumed."""
        s = self.state
        base = f"/api/v1/matching/programs/{s.program_id}"
        paused = expect_status(
            await self.call("POST", f"{base}/pause", json={"reason": "intake data quality review"}),
            200,
            "pause the program",
        )
        expect(paused["status"] == "paused", f"the program is not paused: {paused}")
        refused = await self.call(
            "POST",
            f"{base}/intakes",
            json={
                "person_id": str(uuid.uuid4()),
                "triggers": ["performance_gap"],
                "timezone": "Europe/Berlin",
                "working_hours": WORKING_WEEK,
                "languages": ["en"],
            },
        )
        body = expect_status(refused, 409, "an intake while the program is paused")
        expect(body.get("rule") == "program-paused", f"the refusal names no rule: {body}")
        resumed = expect_status(
            await self.call("POST", f"{base}/resume", json={"reason": "data fixed"}),
            200,
            "resume the program",
        )
        expect(resumed["status"] == "active", f"the program is not active again: {resumed}")
        s.operations["paused"] = {"refusal": body, "resumed": resumed["status"]}
        return "program paused: a new intake is refused (409 program-paused) while running matches go on; resumed"

    async def attendance_recorded(self) -> str:
        """The vendor reports the kickoff held: the attendance ledger takes the vendor's outcome; a
        party's mark before the session starts is refused."""
        s = self.state
        session_id = s.session["id"]
        body = json.dumps(
            {
                "type": "session.completed",
                "timestamp": datetime.now(UTC).isoformat(),
                "data": {
                    "vendor_session_id": f"v-{session_id}",
                    "session_id": session_id,
                    "engagement_id": s.engagement["id"],
                    "match_id": s.match["id"],
                    "participant_id": s.participant_id,
                    "provider_id": s.coach_id,
                    "started_at": s.session["starts_at"],
                    "duration_minutes": 60,
                    "rating": 5,
                },
            }
        ).encode()
        expect_status(await self.push(body, f"msg_{uuid.uuid4().hex}"), 202, "signed session.completed")
        url = f"/api/v1/scheduling/sessions/{session_id}/attendance"

        async def marked() -> dict[str, Any] | None:
            found: dict[str, Any] = expect_status(
                await self.call("GET", url), 200, "the kickoff's attendance"
            )
            mark: dict[str, Any] | None = found.get("mark")
            return mark if mark is not None and mark.get("outcome") == "attended" else None

        mark = await self.eventually(marked, "the vendor's report reaching the attendance ledger", timeout=30)
        early = await self.call("PUT", url, json={"outcome": "no_show_participant"})
        refusal = expect_status(early, 409, "a mark before the session starts")
        expect(refusal.get("rule") == "session-not-started", f"unexpected refusal: {refusal}")
        standing = expect_status(
            await self.call("GET", f"/api/v1/scheduling/engagements/{s.engagement['id']}/attendance"),
            200,
            "the engagement's attendance",
        )
        s.operations["attendance"] = {"mark": mark, "refusal": refusal, "standing": standing}
        return (
            f"vendor reported the kickoff completed -> ledger: {mark['outcome']} (by {mark['recorded_by_role']}, "
            f"revision {mark['revision']}); a mark before the start: 409 session-not-started"
        )

    async def handoff_to_mentor(self) -> str:
        """A coach-then-mentor participant: the coaching sprint first, no mentor while it runs; a
        completed sprint opens the mentor proposal with a handoff carrying only consented context."""
        s = self.state
        person = str(uuid.uuid4())
        await self._grant_matching(person, "dual-track participant")
        purpose = expect_status(
            await self.call("GET", "/api/v1/consent/purposes/handoff"), 200, "handoff purpose"
        )
        expect(
            (
                await self.call(
                    "POST",
                    f"/api/v1/consent/people/{person}/consents/handoff/grants",
                    json={"notice_version": purpose["notice_version"], "method": "api"},
                )
            ).status_code
            in (200, 201),
            "the handoff grant was refused",
        )
        intake = expect_status(
            await self.call(
                "POST",
                f"/api/v1/matching/programs/{s.program_id}/intakes",
                json={
                    "person_id": person,
                    "triggers": ["high_stakes_behavioural_shift"],
                    "timezone": "America/New_York",
                    "working_hours": WORKING_WEEK,
                    "languages": ["en"],
                    "wanted_skills": {"ml_engineering": 3},
                    "behavioural_goals": ["stakeholder_management"],
                },
            ),
            201,
            "dual-track intake",
        )
        expect(intake["track"] == "coach_then_mentor", f"unexpected track: {intake['track']}")
        coaching = expect_status(
            await self.call("POST", "/api/v1/matching/proposals", json={"intake_id": intake["id"]}),
            201,
            "the sprint's proposal",
        )
        expect(
            coaching["provider_kind"] == "coach",
            f"the first proposal is not a coach: {coaching['provider_kind']}",
        )
        coach_match = expect_status(
            await self.call("POST", f"/api/v1/matching/proposals/{coaching['id']}/approve", json={}),
            200,
            "approve the coach",
        )
        # The next need of a coach-then-mentor participant waits for the sprint: no proposal meanwhile.
        early = await self.call("POST", "/api/v1/matching/proposals", json={"intake_id": intake["id"]})
        expect(
            early.status_code == 409,
            f"a new proposal while the sprint runs: {early.status_code} {early.text[:300]}",
        )
        expect_status(
            await self.call(
                "POST", f"/api/v1/matching/matches/{coach_match['id']}/end", json={"reason": "completed"}
            ),
            200,
            "end the sprint completed",
        )

        async def prepared() -> dict[str, Any] | None:
            page = expect_status(
                await self.call("GET", f"/api/v1/matching/participants/{person}/handoffs"), 200, "handoffs"
            )
            return page["items"][0] if page["items"] else None

        handoff = await self.eventually(prepared, "the handoff after the completed sprint", timeout=30)
        expect(handoff["shared_context"] is True, f"consented context did not travel: {handoff}")
        mentor_match = expect_status(
            await self.call("POST", f"/api/v1/matching/proposals/{handoff['proposal_id']}/approve", json={}),
            200,
            "approve the mentor",
        )
        today = datetime.now(UTC).date().isoformat()
        expect_status(
            await self.call(
                "POST",
                f"/api/v1/matching/matches/{mentor_match['id']}/sponsor-actions",
                json={"kind": "introduction", "action_date": today, "outcome": "succeeded"},
            ),
            201,
            "log a sponsor action",
        )
        summary = expect_status(
            await self.call("GET", f"/api/v1/matching/matches/{mentor_match['id']}/sponsor-summary"),
            200,
            "sponsor summary",
        )
        expect(summary["sponsor_actions_by_week_15"] is True, f"the week-15 rule is not met: {summary}")
        s.operations["handoff"] = {"handoff": handoff, "mentor_match": mentor_match["id"], "summary": summary}
        return (
            "coach_then_mentor: coach first (another proposal while the sprint runs: 409); the completed sprint opened "
            "the mentor proposal with a handoff (consented goals travel); the mentor logged a sponsor action"
        )

    async def _vendor_outcome(
        self, kind: str, session: dict[str, Any], engagement: dict[str, Any], person: str
    ) -> None:
        """A signed vendor message about a Tandem session (`session.completed` or `session.no_show`)."""
        body = json.dumps(
            {
                "type": kind,
                "timestamp": datetime.now(UTC).isoformat(),
                "data": {
                    "vendor_session_id": f"v-{session['id']}",
                    "session_id": session["id"],
                    "engagement_id": engagement["id"],
                    "match_id": engagement["match_id"],
                    "participant_id": person,
                    "provider_id": engagement["provider_id"],
                    "started_at": session["starts_at"],
                    "duration_minutes": 0,
                },
            }
        ).encode()
        msg_id = f"msg_{uuid.uuid4().hex}"

        async def stored() -> dict[str, Any] | None:
            # Dropped until analytics has the participant's vendor_sharing grant.
            answer: dict[str, Any] = expect_status(await self.push(body, msg_id), 202, f"signed {kind}")
            return None if answer.get("dropped") else answer

        await self.eventually(stored, "the participant's vendor_sharing grant reaching analytics")

    async def escalation_opened_and_resolved(self) -> str:
        """Three missed sessions take an engagement under the attendance floor: the SLA scan opens an
        escalation in the program operations queue, which is assigned, acknowledged and resolved."""
        s = self.state
        person = str(uuid.uuid4())
        match_id = await self._match_participant(person)
        await self._grant_matching(person, "participant", "vendor_sharing")

        async def probe() -> dict[str, Any] | None:
            resp = await self.call("GET", "/api/v1/scheduling/engagements", params={"participant_id": person})
            rows = resp.json()["items"] if resp.status_code == 200 else []
            return next((e for e in rows if e["match_id"] == match_id), None)

        engagement = await self.eventually(probe, "the engagement of the participant who misses sessions")
        base = f"/api/v1/scheduling/engagements/{engagement['id']}"
        clauses = {
            c: f"Demo {c.replace('_', ' ')}."
            for c in (
                "scope",
                "confidentiality",
                "cadence",
                "success_criteria",
                "escalation_path",
                "data_usage_consent",
                "sponsor_actions",
                "termination",
            )
        }
        agreement = expect_status(
            await self.call("PUT", f"{base}/working-agreement", json=clauses),
            200,
            "draft the working agreement",
        )
        parties = {
            "participant": (person, "tandem-participants", f"ola.{person[:8]}@acme.test"),
            "coach": (s.coach_person_id, "tandem-coaches", f"coach.{s.coach_person_id[:8]}@acme.test"),
        }
        for role, (person_id, group, email) in parties.items():
            token = await self._person_token(person_id, group, email)
            expect_status(
                await self.http.post(
                    f"{base}/working-agreement/signatures",
                    json={"version": agreement["version"]},
                    headers={"Authorization": f"Bearer {token}"},
                ),
                200,
                f"the {role} signs the working agreement",
            )
        free = expect_status(
            await self.call("GET", f"{base}/slots", params={"duration": 60}), 200, "slots for three sessions"
        )
        chosen: list[dict[str, Any]] = []
        for slot in free["slots"]:  # three slots that do not overlap (slots step by a quarter hour)
            if not chosen or slot["starts_at"] >= chosen[-1]["ends_at"]:
                chosen.append(slot)
            if len(chosen) == 3:
                break
        expect(len(chosen) == 3, "fewer than three separate free slots")
        sessions = []
        for slot, kind in zip(chosen, ("kickoff", "regular", "regular"), strict=True):
            sessions.append(
                expect_status(
                    await self.call(
                        "POST", f"{base}/sessions", json={"starts_at": slot["starts_at"], "kind": kind}
                    ),
                    201,
                    f"book a {kind} session",
                )
            )
        for booked in sessions:
            await self._vendor_outcome("session.no_show", booked, engagement, person)

        async def flagged() -> dict[str, Any] | None:
            found: dict[str, Any] = expect_status(
                await self.call("GET", f"{base}/attendance"), 200, "attendance"
            )
            return found if found["flagged"] else None

        standing = await self.eventually(
            flagged, "the engagement flagged under the attendance floor", timeout=30
        )

        async def opened() -> dict[str, Any] | None:
            page = expect_status(
                await self.call(
                    "GET",
                    "/api/v1/scheduling/escalations",
                    params={"program_id": s.program_id, "status": "open"},
                ),
                200,
                "the escalation queue",
            )
            return next((x for x in page["items"] if x["engagement_id"] == engagement["id"]), None)

        escalation = await self.eventually(opened, "the SLA scan opening an escalation", timeout=90)
        url = f"/api/v1/scheduling/escalations/{escalation['id']}"
        owner = str(uuid.uuid4())
        expect_status(await self.call("POST", f"{url}/assign", json={"assignee_id": owner}), 200, "assign")
        expect_status(await self.call("POST", f"{url}/acknowledge"), 200, "acknowledge")
        resolved = expect_status(
            await self.call(
                "POST", f"{url}/resolve", json={"note": "Rescheduled with the coach; reminder set."}
            ),
            200,
            "resolve",
        )
        expect(resolved["status"] == "resolved", f"the escalation is not resolved: {resolved}")
        s.operations["escalation"] = {"standing": standing, "opened": escalation, "resolved": resolved}
        return (
            f"3 no-shows reported by the vendor: attendance {standing['attended']}/{standing['due']} under the "
            f"{standing['floor']} floor -> escalation '{escalation['sla']}' opened, assigned, acknowledged, resolved"
        )

    # -- 11. program evidence: KPI snapshots and pilot gates ----------------------------------------
    async def kpi_snapshot_taken(self) -> str:
        s = self.state
        snapshot = expect_status(
            await self.call("POST", "/api/v1/analytics/snapshots", json={"program_id": s.program_id}),
            201,
            "take a KPI snapshot",
        )
        history = expect_status(
            await self.call("GET", f"/api/v1/analytics/programs/{s.program_id}/kpis/attendance_rate/history"),
            200,
            "attendance rate history",
        )
        expect(history["total"] >= 1, f"the snapshot is not in the history: {history}")
        s.evidence["snapshot"] = snapshot
        return f"KPI snapshot stored; attendance_rate history has {history['total']} point(s)"

    async def pilot_gate_evaluated(self) -> str:
        """A 24-week pilot charter, its week-12 decision gate evaluated from the data, a steering decision."""
        s = self.state
        start = datetime.now(UTC).date() - timedelta(days=90)
        pilot = expect_status(
            await self.call(
                "POST",
                "/api/v1/analytics/pilots",
                json={
                    "program_id": s.program_id,
                    "sponsor_id": str(uuid.uuid4()),
                    "start_date": start.isoformat(),
                    "cohort": [s.participant_id, *(str(uuid.uuid4()) for _ in range(19))],
                    "linked_kpis": [{"name": "csat", "better": "higher"}],
                },
            ),
            201,
            "create the pilot",
        )
        for phase, mean, day in (("baseline", 3.1, 35), ("follow_up", 3.4, 80)):
            expect_status(
                await self.call(
                    "POST",
                    f"/api/v1/analytics/pilots/{pilot['id']}/measures",
                    json={
                        "indicator": "360_behaviour",
                        "phase": phase,
                        "mean": mean,
                        "respondents": 17,
                        "measured_on": (start + timedelta(days=day)).isoformat(),
                    },
                ),
                201,
                f"{phase} measure",
            )
        as_of = (start + timedelta(days=84)).isoformat()
        evaluation = expect_status(
            await self.call(
                "POST",
                f"/api/v1/analytics/pilots/{pilot['id']}/gates/week_12/evaluate",
                json={"as_of": as_of},
            ),
            201,
            "evaluate the week-12 gate",
        )
        expect(evaluation["verdict"] in ("green", "amber", "red"), f"no verdict: {evaluation}")
        decision = expect_status(
            await self.call(
                "POST",
                f"/api/v1/analytics/pilots/{pilot['id']}/decisions",
                json={
                    "gate": "week_12",
                    "decision": "extend" if evaluation["verdict"] != "green" else "go",
                    "rationale": "Demo: attendance evidence still thin.",
                    "evaluation_id": evaluation["id"],
                },
            ),
            201,
            "record the steering decision",
        )
        s.evidence |= {"pilot": pilot, "evaluation": evaluation, "decision": decision}
        standings = ", ".join(f"{c['name']}: {c['standing']}" for c in evaluation["criteria"])
        return (
            f"pilot of 20 leaders; week-12 gate as of {as_of}: {evaluation['verdict']} ({standings}); "
            f"steering decision '{decision['decision']}' recorded by {decision['decided_by']}"
        )

    def steps(self) -> list[tuple[str, Callable[[], Awaitable[str]]]]:
        return [
            ("consent", self.consent_granted),
            ("matching", self.program_created),
            ("matching", self.coach_registered),
            ("matching", self.intake_submitted),
            ("matching", self.proposal_ranked),
            ("matching", self.no_consent_refused),
            ("matching", self.match_approved),
            ("matching", self.cohort_matched),
            ("operations", self.program_paused_and_resumed),
            ("scheduling", self.engagement_created),
            ("scheduling", self.kickoff_booked),
            ("scheduling", self.double_booking_refused),
            ("analytics", self.vendor_registered),
            ("analytics", self.vendor_session_pushed),
            ("analytics", self.vendor_batch_pushed),
            ("analytics", self.kpis_computed),
            ("operations", self.attendance_recorded),
            ("evidence", self.kpi_snapshot_taken),
            ("evidence", self.pilot_gate_evaluated),
            ("federation", self.federated_query),
            ("matching", self.match_ended),
            ("hris", self.hris_provisioned),
            ("hris", self.hris_deprovisioned),
            ("lms", self.mentor_waits_for_training),
            ("lms", self.lms_evidence_makes_mentor_eligible),
            ("operations", self.handoff_to_mentor),
            *(
                [
                    ("operations", self.escalation_opened_and_resolved),
                    ("calendars", self.calendars_connected),
                    ("calendars", self.calendar_slots_and_booking),
                    ("calendars", self.calendar_cancelled),
                ]
                if {"google", "microsoft", "idp"} <= set(self.fakes)
                else []
            ),
            ("personal data", self.access_answered),
            ("personal data", self.erasure_answered),
        ]


def _is_session_event(event: dict[str, Any], session_id: str) -> bool:
    """The calendar event Tandem wrote for a session: Google's id is the session id in base32hex,
    Microsoft's `transactionId` is the session id (docs/calendars.md)."""
    google_id = base64.b32hexencode(uuid.UUID(session_id).bytes).decode().rstrip("=").lower()
    return event.get("id") == google_id or event.get("transactionId") == session_id


def _kpi_text(kpi: dict[str, Any]) -> str:
    if kpi.get("suppressed"):
        return "suppressed (k-anonymity)"
    value = kpi.get("value")
    return "n/a" if value is None else f"{value:.2f} ({kpi.get('numerator')}/{kpi.get('denominator')})"
