"""With no real app registration, devstack runs both fakes as processes and points the gateway's
settings at them: a person connects either calendar locally."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_devstack import calendar_fakes
from tandem_gateway.connections import service
from tandem_gateway.settings import Settings
from tandem_gateway.testing import INTERNAL_SECRET

from .conftest import connect


@pytest.fixture
def fake_urls(tmp_path: Path) -> Iterator[dict[str, str]]:
    ports = {f.name: calendar_fakes.port_for({}, f, fixed=False) for f in calendar_fakes.FAKES}
    children = calendar_fakes.start(ports, tmp_path)
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    try:
        calendar_fakes.wait_ready(urls, children)
        yield urls
    finally:
        for child in children.values():
            child.terminate()
            child.wait(10)


def test_fakes_only_without_a_real_registration() -> None:
    assert calendar_fakes.wanted({"GATEWAY_ENVIRONMENT": "development"}) is True
    assert calendar_fakes.wanted({"GATEWAY_CALENDAR_OAUTH__GOOGLE__CLIENT_ID": "real.apps"}) is False


async def test_gateway_settings_from_devstack_connect_both(
    fake_urls: dict[str, str], monkeypatch: pytest.MonkeyPatch, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    for key, value in calendar_fakes.gateway_env(fake_urls, "http://127.0.0.1:8000").items():
        monkeypatch.setenv(key, value)
    settings = Settings(environment="development", internal_secret=INTERNAL_SECRET)
    configs = settings.calendar_oauth.configs(settings.internal_secret)

    assert sorted(configs) == ["google", "microsoft"]
    assert configs["google"].token_url == f"{fake_urls['google']}/token"
    assert configs["google"].revoke_url == f"{fake_urls['google']}/revoke"
    assert configs["microsoft"].revoke_url is None
    for name, config in configs.items():
        connection = await connect(sessionmaker, config, uuid.uuid4(), f"{name}@acme.test")
        assert connection.status == "active"
        assert await service.access_token(sessionmaker, connection.id, oauth=config)
