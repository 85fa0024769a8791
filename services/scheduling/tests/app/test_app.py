import asyncio
from pathlib import Path

import httpx
import pytest

from tandem_kit.testing import Infra, running
from tandem_scheduling.app import create_app
from tandem_scheduling.settings import Settings

SERVICE_DIR = Path(__file__).resolve().parents[2]


async def test_sla_scan_runs_with_the_app_and_stops_with_it(infra: Infra) -> None:
    settings = Settings(
        environment="test",
        database_url=infra.database("scheduling", SERVICE_DIR),
        nats_url=infra.nats.url,
        sla_scan_seconds=0.05,
    )
    app = create_app(settings, token_verifier=infra.keys.verifier("scheduling"))
    async with running(app):
        scanner: asyncio.Task[None] = app.state.sla_scanner
        await asyncio.sleep(0.1)
        assert not scanner.done()
    assert scanner.cancelled()


def test_scan_interval_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCHEDULING_SLA_SCAN_SECONDS", "7.5")
    assert Settings().sla_scan_seconds == 7.5


async def test_routes_are_documented(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/api/v1/scheduling/openapi.json")).json()
    assert sorted(p for p in spec["paths"] if p.startswith("/api/")) == [
        "/api/v1/scheduling/admin/dead-letters",
        "/api/v1/scheduling/admin/dead-letters/{letter_id}",
        "/api/v1/scheduling/admin/dead-letters/{letter_id}/replay",
        "/api/v1/scheduling/engagements",
        "/api/v1/scheduling/engagements/{engagement_id}",
        "/api/v1/scheduling/engagements/{engagement_id}/attendance",
        "/api/v1/scheduling/engagements/{engagement_id}/cadence",
        "/api/v1/scheduling/engagements/{engagement_id}/checkpoints/{checkpoint_id}/session",
        "/api/v1/scheduling/engagements/{engagement_id}/sessions",
        "/api/v1/scheduling/engagements/{engagement_id}/sessions.ics",
        "/api/v1/scheduling/engagements/{engagement_id}/sessions/{session_id}/cancel",
        "/api/v1/scheduling/engagements/{engagement_id}/sla-clocks",
        "/api/v1/scheduling/engagements/{engagement_id}/slots",
        "/api/v1/scheduling/engagements/{engagement_id}/working-agreement",
        "/api/v1/scheduling/engagements/{engagement_id}/working-agreement/signatures",
        "/api/v1/scheduling/escalations",
        "/api/v1/scheduling/escalations/{escalation_id}",
        "/api/v1/scheduling/escalations/{escalation_id}/acknowledge",
        "/api/v1/scheduling/escalations/{escalation_id}/assign",
        "/api/v1/scheduling/escalations/{escalation_id}/resolve",
        "/api/v1/scheduling/group-sessions",
        "/api/v1/scheduling/group-sessions/{group_session_id}",
        "/api/v1/scheduling/group-sessions/{group_session_id}/cancel",
        "/api/v1/scheduling/group-sessions/{group_session_id}/seats",
        "/api/v1/scheduling/group-sessions/{group_session_id}/seats/{person_id}",
        "/api/v1/scheduling/programs/{program_id}/attendance-conflicts",
        "/api/v1/scheduling/programs/{program_id}/sla-policies",
        "/api/v1/scheduling/sessions/{session_id}/attendance",
        "/api/v1/scheduling/sessions/{session_id}/attendance/history",
    ]
    assert spec["paths"]["/api/v1/scheduling/engagements/{engagement_id}/sessions"]["post"][
        "operationId"
    ] == ("sessions-book_session")
