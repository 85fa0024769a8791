"""The xAPI integration over real HTTP: the gateway (own database, own NATS, so no other gateway app of
the test run takes its events), the real consent service trusting it, and the fake LRS."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tandem_devstack.fakes.lrs import FakeLrs
from tandem_gateway.app import create_app
from tandem_gateway.directory import service as directory
from tandem_gateway.directory.schemas import PersonRecord
from tandem_gateway.oauth.service import sign_access_token
from tandem_gateway.testing import GATEWAY_DIR, ISSUER, bearer, gateway_settings, serve
from tandem_kit.embedded import EmbeddedNats, free_port
from tandem_kit.testing import Infra, sessionmaker_of

V = {"X-Experience-API-Version": "1.0.3"}
HOME = "https://lms.example.com"


@dataclass
class XapiStack:
    app: FastAPI
    url: str
    consent_url: str
    lrs: FakeLrs
    lrs_url: str

    def token(self, *scopes: str, audience: str = "gateway", **claims: Any) -> str:
        token, _ = sign_access_token(
            self.app.state.keystore,
            issuer=ISSUER,
            subject=claims.pop("sub", "test-client"),
            client_id=claims.pop("client_id", "test-client"),
            audience=audience,
            scopes=list(scopes),
            ttl=timedelta(minutes=5),
            extra_claims=claims or None,
        )
        return token

    def headers(self, *scopes: str, **claims: Any) -> dict[str, str]:
        return {**bearer(self.token(*scopes, **claims)), **V}

    async def person(
        self, *, email: str | None = None, external_id: str | None = None, active: bool = True
    ) -> uuid.UUID:
        record = PersonRecord(
            user_name=f"u-{uuid.uuid4().hex[:10]}", email=email, external_id=external_id, active=active
        )
        async with sessionmaker_of(self.app)() as session, session.begin():
            result = await directory.apply_person(session, record, person_id=None, source="api", actor="test")
        return result.person.id

    async def grant(
        self, http: httpx.AsyncClient, person_id: uuid.UUID, purpose: str = "lrs_reporting"
    ) -> None:
        token = self.token(
            "consent:read",
            "consent:write",
            audience="consent",
            person_id=str(person_id),
            roles=["participant"],
        )
        resp = await http.post(
            f"{self.consent_url}/api/v1/consent/people/{person_id}/consents/{purpose}/grants",
            json={"notice_version": 1},
            headers=bearer(token),
        )
        assert resp.status_code in (200, 201), resp.text


@pytest.fixture(scope="session")
async def xapi_stack(
    infra: Infra, consent_behind: Callable[[str], FastAPI], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[XapiStack]:
    nats = EmbeddedNats(tmp_path_factory.mktemp("xapi-nats"), free_port())
    nats.start()
    gateway_port = free_port()
    lrs = FakeLrs()
    try:
        async with (
            serve(consent_behind(f"http://127.0.0.1:{gateway_port}")) as consent_url,
            serve(lrs.app) as lrs_url,
        ):
            settings = gateway_settings(
                infra,
                database_url=infra.fresh_database("gateway", GATEWAY_DIR),
                nats_url=nats.url,
                consent_url=consent_url,
                xapi={"account_home_pages": [HOME], "send_max_wait_seconds": 1.0, "send_attempts": 3},
                event_retry_first_seconds=0.1,
                event_retry_max_seconds=0.5,
                event_park_after_deliveries=4,
            )
            app = create_app(settings)
            async with serve(app, port=gateway_port) as url:
                stack = XapiStack(app, url, consent_url, lrs, lrs_url)
                async with httpx.AsyncClient() as http:
                    admin = {**bearer(stack.token("consent:write", "admin", audience="consent"))}
                    created = await http.post(
                        f"{consent_url}/api/v1/consent/purposes",
                        json={
                            "key": "lrs_reporting",
                            "title": "LRS reporting",
                            "description": "Milestones to the LRS.",
                        },
                        headers=admin,
                    )
                    assert created.status_code in (201, 409), created.text
                yield stack
    finally:
        nats.stop()


@pytest.fixture
async def http(xapi_stack: XapiStack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=xapi_stack.url, timeout=30) as client:
        yield client


def statement(
    actor: dict[str, Any],
    activity: str,
    *,
    verb: str = "completed",
    statement_id: uuid.UUID | None = None,
    **extra: Any,
) -> dict[str, Any]:
    verbs = {
        "completed": "http://adlnet.gov/expapi/verbs/completed",
        "passed": "http://adlnet.gov/expapi/verbs/passed",
        "failed": "http://adlnet.gov/expapi/verbs/failed",
        "launched": "http://adlnet.gov/expapi/verbs/launched",
    }
    body: dict[str, Any] = {
        "id": str(statement_id or uuid.uuid4()),
        "actor": actor,
        "verb": {"id": verbs[verb], "display": {"en-US": verb}},
        "object": {"objectType": "Activity", "id": activity},
        "timestamp": "2026-12-01T10:00:00Z",
        **extra,
    }
    return body


def mbox(email: str) -> dict[str, Any]:
    return {"objectType": "Agent", "mbox": f"mailto:{email}"}
