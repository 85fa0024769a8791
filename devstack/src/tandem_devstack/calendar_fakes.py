"""The Google Calendar and Microsoft Graph fakes as local processes, and the gateway settings that
point at them: `make run`, `make demo` and the end-to-end tests connect calendars with no real
credentials. Skipped when a real app registration is configured (`GATEWAY_CALENDAR_OAUTH__...`)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from tandem_devstack.fakes import google_calendar, microsoft_graph
from tandem_kit.embedded import InfraError, free_port


@dataclass(frozen=True)
class Fake:
    name: str
    factory: str
    default_port: int


FAKES = (
    Fake("google", "tandem_devstack.fakes.google_calendar:create_app", 8010),
    Fake("microsoft", "tandem_devstack.fakes.microsoft_graph:create_app", 8011),
)


def wanted(env: Mapping[str, str]) -> bool:
    """Fakes stand in only when no real provider is configured."""
    return not any(f"GATEWAY_CALENDAR_OAUTH__{f.name.upper()}__CLIENT_ID" in env for f in FAKES)


def port_for(env: Mapping[str, str], fake: Fake, *, fixed: bool) -> int:
    key = f"TANDEM_{fake.name.upper()}_FAKE_PORT"
    if key in env:
        return int(env[key])
    return fake.default_port if fixed else free_port()


def start(ports: Mapping[str, int], logs: Path) -> dict[str, subprocess.Popen[bytes]]:
    children = {}
    for fake in FAKES:
        log = (logs / f"fake-{fake.name}.log").open("ab")
        children[fake.name] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                fake.factory,
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(ports[fake.name]),
                "--no-access-log",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return children


def wait_ready(
    urls: Mapping[str, str], children: Mapping[str, subprocess.Popen[bytes]], timeout: float = 30.0
) -> None:
    deadline = time.monotonic() + timeout
    pending = dict(urls)
    with httpx.Client(timeout=1.0) as http:
        while pending:
            for name, url in list(pending.items()):
                if children[name].poll() is not None:
                    raise InfraError(f"the {name} calendar fake exited with code {children[name].returncode}")
                try:
                    http.get(f"{url}/_fake/ready")  # any answer: the server is up
                    del pending[name]
                except httpx.HTTPError:
                    pass
            if pending and time.monotonic() > deadline:
                raise InfraError(f"calendar fakes not ready: {', '.join(pending)}")
            if pending:
                time.sleep(0.1)


def gateway_env(urls: Mapping[str, str], gateway_url: str) -> dict[str, str]:
    """The gateway's settings for the fakes: app registrations, and where calendar sync finds the APIs."""
    redirect = f"{gateway_url}/dev/calendar-callback"  # no page there: the demo reads code and state
    google, microsoft = urls["google"], urls["microsoft"]
    tenant = f"{microsoft}/{microsoft_graph.TENANT}/oauth2/v2.0"
    pfx = "GATEWAY_CALENDAR_OAUTH__"
    return {
        f"{pfx}GOOGLE__CLIENT_ID": google_calendar.CLIENT_ID,
        f"{pfx}GOOGLE__CLIENT_SECRET": google_calendar.CLIENT_SECRET,
        f"{pfx}GOOGLE__REDIRECT_URI": redirect,
        f"{pfx}GOOGLE__AUTHORIZE_URL": f"{google}/o/oauth2/v2/auth",
        f"{pfx}GOOGLE__TOKEN_URL": f"{google}/token",
        f"{pfx}GOOGLE__REVOKE_URL": f"{google}/revoke",
        f"{pfx}MICROSOFT__CLIENT_ID": microsoft_graph.CLIENT_ID,
        f"{pfx}MICROSOFT__CLIENT_SECRET": microsoft_graph.CLIENT_SECRET,
        f"{pfx}MICROSOFT__REDIRECT_URI": redirect,
        f"{pfx}MICROSOFT__AUTHORIZE_URL": f"{tenant}/authorize",
        f"{pfx}MICROSOFT__TOKEN_URL": f"{tenant}/token",
        "GATEWAY_CALENDAR_SYNC__GOOGLE_API_URL": google,
        "GATEWAY_CALENDAR_SYNC__GRAPH_API_URL": microsoft,
    }
