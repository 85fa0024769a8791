"""The real consent service for other services' tests: in process, on the test worker's PostgreSQL
and NATS (never a fake). Matching, scheduling and analytics tests use it for consent checks,
data-subject requests and retention runs."""

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from tandem_consent.app import create_app
from tandem_consent.settings import Settings
from tandem_kit.events import EventEnvelope, outbox_messages
from tandem_kit.oauth_client import ServiceClient, StaticToken
from tandem_kit.testing import Infra, running, sessionmaker_of

CONSENT_DIR = Path(__file__).resolve().parents[2]


@contextlib.asynccontextmanager
async def running_consent(infra: Infra, **settings: Any) -> AsyncIterator[FastAPI]:
    """The consent app with its relay and consumers running; `settings` override the test defaults."""
    config = Settings(
        **{
            "environment": "test",
            "database_url": infra.database("consent", CONSENT_DIR),
            "nats_url": infra.nats.url,
            "retention_interval_seconds": 0,  # retention runs only when a test starts one
            **settings,
        }
    )
    async with running(create_app(config, token_verifier=infra.keys.verifier("consent"))) as started:
        yield started


def consent_client(infra: Infra, consent_app: FastAPI, service: str, *scopes: str) -> ServiceClient:
    """`service`'s client for the in-process consent app, with a service token holding `scopes`."""
    return ServiceClient(
        "http://consent.test",
        StaticToken(lambda: infra.keys.token(*scopes, sub=service, client_name=service)),
        transport=httpx.ASGITransport(app=consent_app),
    )


async def consent_events(consent_app: FastAPI, event_type: str, **data: str) -> list[EventEnvelope]:
    """The `event_type` events consent wrote to its outbox whose data has these values, oldest first."""
    statement = select(outbox_messages.c.payload).where(
        outbox_messages.c.subject == f"tandem.consent.{event_type}"
    )
    for key, value in data.items():
        statement = statement.where(outbox_messages.c.payload["data"][key].astext == value)
    async with sessionmaker_of(consent_app)() as session:
        payloads = await session.scalars(statement.order_by(outbox_messages.c.seq))
        return [EventEnvelope.model_validate(p) for p in payloads]
