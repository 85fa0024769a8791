"""A service whose database is down answers 503 problem+json with Retry-After and logs one line per
failure; a bug answers 500 and keeps the keep-alive connection usable. The service runs in its own
uvicorn process, so what it logs (uvicorn's own lines included) is read back."""

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from tandem_kit.embedded import free_port
from tandem_kit.idempotency import idempotency_keys
from tandem_kit.testing import Infra, TcpProxy, eventually


@dataclass
class Probe:
    url: str
    port: int
    log: Path
    database: TcpProxy

    seen: int = 0  # log lines before the current test

    def log_lines(self) -> list[str]:
        return self.log.read_text().splitlines()[self.seen :]


@pytest.fixture(scope="module")
async def service(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Probe]:
    infra.postgres.ensure_database("probe")
    # The kit's own tables a service app uses (its idempotency purge runs at start-up).
    engine = create_async_engine(infra.postgres.url("probe"))
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: idempotency_keys.create(sync, checkfirst=True))
    await engine.dispose()
    proxy = await TcpProxy(infra.postgres.port).start()
    port, log = free_port(), tmp_path_factory.mktemp("probe") / "probe.log"
    url = infra.postgres.url("probe").replace(f":{infra.postgres.port}/", f":{proxy.port}/")
    env = {**os.environ, "PROBE_DATABASE_URL": url, "PROBE_NATS_URL": infra.nats.url}
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "uvicorn",
            "tandem_kit.testing:probe_app_from_env",
            "--factory",
            "--port",
            str(port),
            "--no-access-log",
            env=env,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base) as http:

            async def ready() -> bool:
                with contextlib.suppress(httpx.HTTPError):
                    return (await http.get("/readyz")).status_code == 200
                return False

            await eventually(ready, timeout=60)
        yield Probe(base, port, log, proxy)
    finally:
        process.terminate()
        await process.wait()
        await proxy.cut()


@pytest.fixture
async def probe(service: Probe) -> Probe:
    service.seen = len(service.log.read_text().splitlines())
    return service


async def exchange(
    writer: asyncio.StreamWriter, reader: asyncio.StreamReader, path: str
) -> tuple[int, bytes]:
    """One HTTP/1.1 GET on an open connection; (status, body), or (0, b"") if the server hung up."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: probe\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n") if not reader.at_eof() else b""
    if not head:
        return 0, b""
    lines = head.decode().split("\r\n")
    length = next(int(line.split(":")[1]) for line in lines if line.lower().startswith("content-length"))
    return int(lines[0].split()[1]), await reader.readexactly(length)


def errors_logged(probe: Probe) -> list[str]:
    """The `event` of every JSON log line after start-up, and uvicorn's own error lines."""
    found = []
    for line in probe.log_lines():
        if line.startswith("{"):
            found.append(json.loads(line)["event"])
        elif line.startswith(("ERROR", "Traceback")):
            found.append(line)
    return [event for event in found if event != "app.started"]


async def test_bug_answers_500_and_keeps_the_connection(probe: Probe) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", probe.port)
    try:
        status, body = await exchange(writer, reader, "/api/v1/probe/boom")
        assert status == 500
        assert json.loads(body)["type"] == "https://tandem.dev/problems/internal-error"
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            status, body = await exchange(writer, reader, "/api/v1/probe/rows")
        assert (status, json.loads(body or b"null")) == (200, {"one": 1})
    finally:
        writer.close()
    # One line, its traceback inside it; no second traceback from uvicorn.
    assert errors_logged(probe) == ["http.unhandled_error"]


async def test_database_down_answers_503_with_one_log_line(probe: Probe) -> None:
    async with httpx.AsyncClient(base_url=probe.url) as http:
        assert (await http.get("/api/v1/probe/rows")).json() == {"one": 1}
        await probe.database.cut()
        response = await http.get("/api/v1/probe/rows")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"] == "5"
        assert response.json() == {
            "type": "https://tandem.dev/problems/database-unavailable",
            "title": "Database unavailable",
            "status": 503,
            "detail": "The service's database is unavailable; retry shortly.",
            "instance": "/api/v1/probe/rows",
        }
        assert (await http.get("/api/v1/probe/rows")).status_code == 503
        ready = await http.get("/readyz")
        assert (ready.status_code, ready.json()["checks"]["database"]) == (503, "down")
        await probe.database.restore()
        assert (await http.get("/api/v1/probe/rows")).json() == {"one": 1}
    assert errors_logged(probe) == ["http.database_unavailable"] * 2
    assert not [line for line in probe.log_lines() if "Traceback" in line]
