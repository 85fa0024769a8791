import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from tandem_gateway.bootstrap import ensure_client
from tandem_gateway.oauth import repository
from tandem_gateway.oauth.domain import SCOPES, verify_secret
from tandem_gateway.testing import GATEWAY_DIR, gateway_settings
from tandem_kit.testing import Infra


async def test_ensure_client_is_idempotent(infra: Infra, tmp_path: Path) -> None:
    url = infra.fresh_database("gateway", GATEWAY_DIR)
    settings = gateway_settings(infra, database_url=url)
    engine = create_async_engine(url)
    maker = async_sessionmaker(engine, expire_on_commit=False, class_=AsyncSession)
    output = tmp_path / "dev-client.json"

    async def run(scopes: list[str]) -> str:
        async with maker() as session, session.begin():
            return await ensure_client(session, settings, name="dev", scopes=scopes, output=output)

    assert await run(list(SCOPES)) == "created"
    first = json.loads(output.read_text())
    assert first["token_url"] == "https://gateway.tandem.test/oauth/token"
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    assert await run(list(SCOPES)) == "kept"
    assert json.loads(output.read_text()) == first

    output.unlink()
    assert await run(["consent:read"]) == "secret rotated"
    second = json.loads(output.read_text())
    assert second["client_id"] == first["client_id"]
    async with maker() as session:
        stored = await repository.get_client_by_name(session, "dev")
    assert stored is not None
    assert stored.scopes == ["consent:read"]
    assert verify_secret(second["client_secret"], stored.secret_hash)
    assert not verify_secret(first["client_secret"], stored.secret_hash)
    await engine.dispose()


def test_cli_writes_credentials(infra: Infra, tmp_path: Path) -> None:
    url = infra.fresh_database("gateway", GATEWAY_DIR)
    output = tmp_path / ".tandem" / "matching-client.json"
    env = {**os.environ, "GATEWAY_DATABASE_URL": url, "GATEWAY_ENVIRONMENT": "test"}
    command = [
        sys.executable, "-m", "tandem_gateway.bootstrap", "create-client",
        "--name", "matching", "--scopes", "consent:read", "--output", str(output),
    ]  # fmt: skip
    first = subprocess.run(command, env=env, capture_output=True, text=True, check=True, timeout=60)
    assert "created" in first.stdout
    second = subprocess.run(command, env=env, capture_output=True, text=True, check=True, timeout=60)
    assert "kept" in second.stdout
    written = json.loads(output.read_text())
    assert written["client_id"].startswith("tc_")
    assert written["token_url"] == "http://127.0.0.1:8000/oauth/token"
