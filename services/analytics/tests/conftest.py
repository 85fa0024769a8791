from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tandem_analytics.app import create_app
from tandem_analytics.settings import Settings
from tandem_kit.testing import Infra, rollback_client, running

SERVICE_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
async def app(infra: Infra) -> AsyncIterator[FastAPI]:
    settings = Settings(
        environment="test",
        database_url=infra.database("analytics", SERVICE_DIR),
        nats_url=infra.nats.url,
    )
    async with running(create_app(settings, token_verifier=infra.keys.verifier("analytics"))) as started:
        yield started


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Every request of one test in one outer transaction, rolled back afterwards."""
    async with rollback_client(app) as c:
        yield c
