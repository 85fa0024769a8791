"""The local stack: embedded PostgreSQL and NATS, migrations, the dev OAuth client, five uvicorn processes.

Used by `make run` (foreground until Ctrl-C/SIGTERM), by `make demo`, and by the end-to-end tests.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tandem_devstack import calendar_fakes
from tandem_kit.db import Database
from tandem_kit.embedded import EmbeddedNats, EmbeddedPostgres, InfraError, port_is_free
from tandem_kit.migrations import upgrade_head

REPO = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Part:
    name: str
    module: str
    directory: Path
    default_port: int
    # Scopes the part's own OAuth client gets, for calls it makes to other services.
    client_scopes: tuple[str, ...] = ()

    @property
    def env_prefix(self) -> str:
        return self.name.upper() + "_"


PARTS = (
    Part("gateway", "tandem_gateway.app", REPO / "gateway", 8000),
    Part(
        "matching",
        "tandem_matching.app",
        REPO / "services" / "matching",
        8001,
        ("consent:read", "consent:receipt"),
    ),
    Part(
        "scheduling",
        "tandem_scheduling.app",
        REPO / "services" / "scheduling",
        8002,
        ("consent:receipt", "calendars:freebusy"),
    ),
    Part("consent", "tandem_consent.app", REPO / "services" / "consent", 8003),
    Part("analytics", "tandem_analytics.app", REPO / "services" / "analytics", 8004, ("consent:receipt",)),
)


DEV_DEFAULTS = {"scheduling": {"SCHEDULING_SLA_SCAN_SECONDS": "5"}}


def _port(env: Mapping[str, str], key: str, default: int) -> int:
    value = env.get(key)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise InfraError(f"{key} must be a port number, got {value!r}") from exc


@dataclass
class StackConfig:
    home: Path
    ports: dict[str, int]
    postgres_port: int
    nats_port: int
    environment: str = "development"
    fast_postgres: bool = False
    external: Mapping[str, str] = field(default_factory=dict)
    # The calendar fakes' ports (`make run`: 8010, 8011); one not given gets a free port. No fakes run
    # when a real Google or Microsoft app is configured.
    fake_ports: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> StackConfig:
        env = dict(os.environ if env is None else env)
        return cls(
            home=Path(env.get("TANDEM_HOME", REPO / ".tandem")),
            ports={p.name: _port(env, f"TANDEM_{p.name.upper()}_PORT", p.default_port) for p in PARTS},
            postgres_port=_port(env, "TANDEM_POSTGRES_PORT", 55432),
            nats_port=_port(env, "TANDEM_NATS_PORT", 54222),
            external={k: v for k, v in env.items() if k.endswith(("_DATABASE_URL", "NATS_URL"))},
            fake_ports={f.name: calendar_fakes.port_for(env, f, fixed=True) for f in calendar_fakes.FAKES},
        )

    def url(self, part: str) -> str:
        return f"http://127.0.0.1:{self.ports[part]}"


class Stack:
    """Starts everything in order; `stop()` stops everything that was started, in reverse."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.postgres: EmbeddedPostgres | None = None
        self.nats: EmbeddedNats | None = None
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.clients: dict[str, dict[str, str]] = {}
        self.logs = config.home / "logs"
        self.fakes: dict[str, str] = {}  # calendar fake name -> base URL, when they run

    # -- infrastructure ---------------------------------------------------------------------
    def _database_url(self, part: Part) -> str:
        given = self.config.external.get(f"{part.env_prefix}DATABASE_URL")
        if given:
            return given
        assert self.postgres is not None
        return self.postgres.url(part.name)

    def _nats_url(self, part: Part) -> str:
        given = self.config.external.get(f"{part.env_prefix}NATS_URL") or self.config.external.get("NATS_URL")
        if given:
            return given
        assert self.nats is not None
        return self.nats.url

    def check_ports(self) -> None:
        for part in PARTS:
            port = self.config.ports[part.name]
            if not port_is_free(port):
                raise InfraError(
                    f"port {port} for {part.name} is already in use (set TANDEM_{part.name.upper()}_PORT)"
                )

    def start_infra(self) -> None:
        self.config.home.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        needs_pg = any(f"{p.env_prefix}DATABASE_URL" not in self.config.external for p in PARTS)
        needs_nats = (
            any(f"{p.env_prefix}NATS_URL" not in self.config.external for p in PARTS)
            and "NATS_URL" not in self.config.external
        )
        if needs_pg:
            self.postgres = EmbeddedPostgres(
                self.config.home / "postgres", self.config.postgres_port, fast=self.config.fast_postgres
            )
            self.postgres.start()
            for part in PARTS:
                if f"{part.env_prefix}DATABASE_URL" not in self.config.external:
                    self.postgres.ensure_database(part.name)
        if needs_nats:
            self.nats = EmbeddedNats(self.config.home / "nats", self.config.nats_port)
            self.nats.start()

    def migrate(self) -> None:
        for part in PARTS:
            upgrade_head(part.directory, self._database_url(part))

    # -- OAuth clients ----------------------------------------------------------------------
    def bootstrap_clients(self) -> None:
        """The dev client (all scopes) for people, and one client per service for its own calls."""
        asyncio.run(self._bootstrap_clients())

    async def _bootstrap_clients(self) -> None:
        # In-process (not the CLI) so start-up does not pay for another interpreter per client.
        from tandem_gateway.bootstrap import ensure_client
        from tandem_gateway.oauth.domain import parse_scopes
        from tandem_gateway.settings import Settings as GatewaySettings

        env = self.part_env(PARTS[0])
        settings = GatewaySettings(
            database_url=env["GATEWAY_DATABASE_URL"], issuer=env["GATEWAY_ISSUER"], environment="development"
        )
        wanted = {"dev": ("all",)} | {p.name: p.client_scopes for p in PARTS if p.client_scopes}
        database = Database(settings.database_url, pool_size=1)
        try:
            for name, scopes in wanted.items():
                out = self.config.home / ("dev-client.json" if name == "dev" else f"clients/{name}.json")
                out.parent.mkdir(parents=True, exist_ok=True)
                async with database.sessionmaker() as session, session.begin():
                    await ensure_client(
                        session, settings, name=name, scopes=parse_scopes(",".join(scopes)), output=out
                    )
                self.clients[name] = json.loads(out.read_text())
        finally:
            await database.dispose()

    # -- processes --------------------------------------------------------------------------
    def part_env(self, part: Part) -> dict[str, str]:
        gw = self.config.url("gateway")
        pfx = part.env_prefix
        env = {
            f"{pfx}ENVIRONMENT": self.config.environment,
            f"{pfx}DATABASE_URL": self._database_url(part),
            f"{pfx}NATS_URL": self._nats_url(part),
            f"{pfx}JWKS_URL": f"{gw}/.well-known/jwks.json",
            f"{pfx}REVOCATION_LIST_URL": f"{gw}/oauth/revoked",
            f"{pfx}TOKEN_ISSUER": gw,
            f"{pfx}ISSUER": gw,
            f"{pfx}TOKEN_URL": f"{gw}/oauth/token",
        }
        for other in PARTS[1:]:
            env[f"{pfx}{other.name.upper()}_URL"] = self.config.url(other.name)
        if part.name == "gateway" and self.fakes:
            env.update(calendar_fakes.gateway_env(self.fakes, gw))
        # A local stack scans for SLA breaches every few seconds (production: every minute), so a
        # breach shows while one watches; a value in the environment wins.
        env.update({k: v for k, v in DEV_DEFAULTS.get(part.name, {}).items() if k not in os.environ})
        own = self.clients.get(part.name)
        if own:
            env[f"{pfx}CLIENT_ID"] = own["client_id"]
            env[f"{pfx}CLIENT_SECRET"] = own["client_secret"]
        return env

    def start_parts(self) -> None:
        for part in PARTS:
            log = (self.logs / f"{part.name}.log").open("ab")
            self.children[part.name] = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    f"{part.module}:create_app",
                    "--factory",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.config.ports[part.name]),
                    "--no-access-log",
                    "--timeout-graceful-shutdown",
                    "5",
                    # Longer than the gateway keeps idle upstream connections (30 s): the gateway,
                    # not the service, closes them, so it never sends on one being closed.
                    "--timeout-keep-alive",
                    "75",
                ],
                env={**os.environ, **self.part_env(part)},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def start_calendar_fakes(self) -> None:
        """Google and Microsoft stand-ins, unless a real app registration is configured."""
        if not calendar_fakes.wanted(os.environ):
            return
        ports = {
            f.name: self.config.fake_ports.get(f.name) or calendar_fakes.port_for(os.environ, f, fixed=False)
            for f in calendar_fakes.FAKES
        }
        children = calendar_fakes.start(ports, self.logs)
        self.children.update({f"fake-{name}": child for name, child in children.items()})
        self.fakes = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        calendar_fakes.wait_ready(self.fakes, children)

    def wait_ready(self, timeout: float = 60.0) -> float:
        started = time.monotonic()
        pending = {p.name for p in PARTS}
        with httpx.Client(timeout=1.0) as http:
            while pending:
                for name in sorted(pending):
                    child = self.children[name]
                    if child.poll() is not None:
                        raise InfraError(
                            f"{name} exited with code {child.returncode} (log: {self.logs / (name + '.log')})"
                        )
                    try:
                        if http.get(f"{self.config.url(name)}/readyz").status_code == 200:
                            pending.discard(name)
                    except httpx.HTTPError:
                        pass
                if time.monotonic() - started > timeout:
                    raise InfraError(f"not ready after {timeout:.0f}s: {', '.join(sorted(pending))}")
                if pending:
                    time.sleep(0.1)
        return time.monotonic() - started

    def start(self) -> float:
        """Bring everything up; returns seconds from start to every /readyz green."""
        began = time.monotonic()
        self.check_ports()
        try:
            self.start_infra()
            self.migrate()
            self.bootstrap_clients()
            self.start_calendar_fakes()
            self.start_parts()
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return time.monotonic() - began

    def stop(self) -> None:
        for child in self.children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in self.children.values():
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        self.children.clear()
        if self.nats is not None:
            self.nats.stop()
        if self.postgres is not None:
            self.postgres.stop()

    def restart_dead_infra(self) -> list[str]:
        """Reap an embedded PostgreSQL or NATS that died and start it again on the same data and port
        (services reconnect by themselves); what was restarted, for the log. InfraError if it can't be:
        a dead server left unreaped is a zombie whose pid in postmaster.pid blocks a new postmaster."""
        restarted = []
        for name, server in (("PostgreSQL", self.postgres), ("NATS", self.nats)):
            if server is None or server.proc is None:
                continue
            code = server.proc.poll()  # also reaps it
            if code is None:
                continue
            try:
                server.start()
            except InfraError as exc:
                raise InfraError(f"{name} exited with code {code} and did not restart: {exc}") from exc
            restarted.append(f"{name} exited with code {code}; restarted")
        return restarted

    def first_exited(self) -> str | None:
        for name, child in self.children.items():
            if child.poll() is not None:
                return name
        return None
