"""The Google Calendar and Microsoft Graph fakes as local processes, and the gateway settings that
point at them: `make run`, `make demo` and the end-to-end tests connect calendars with no real
credentials. Skipped when a real app registration is configured (`GATEWAY_CALENDAR_OAUTH__...`).

With them runs a development IdP (`fakes/idp.py`) that signs people's tokens, trusted by the gateway
unless `GATEWAY_USER_TOKEN_ISSUERS` names real IdPs: a person connects their own calendar."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from tandem_devstack.fakes import google_calendar, idp, microsoft_graph
from tandem_kit.embedded import InfraError, free_port


@dataclass(frozen=True)
class Fake:
    name: str
    factory: str
    default_port: int


FAKES = (
    Fake("google", "tandem_devstack.fakes.google_calendar:create_app", 8010),
    Fake("microsoft", "tandem_devstack.fakes.microsoft_graph:create_app", 8011),
    Fake("idp", "tandem_devstack.fakes.idp:create_app", 8012),
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
            env={**os.environ, "TANDEM_DEV_IDP_ISSUER": f"http://127.0.0.1:{ports['idp']}"},
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


def registrations(google: str, microsoft: str, redirect_uri: str) -> dict[str, dict[str, str]]:
    """The gateway's OAuth app registrations at the two fakes, in `CalendarOAuthSettings`' shape."""
    tenant = f"{microsoft}/{microsoft_graph.TENANT}/oauth2/v2.0"
    return {
        "google": {
            "client_id": google_calendar.CLIENT_ID,
            "client_secret": google_calendar.CLIENT_SECRET,
            "redirect_uri": redirect_uri,
            "authorize_url": f"{google}/o/oauth2/v2/auth",
            "token_url": f"{google}/token",
            "revoke_url": f"{google}/revoke",
        },
        "microsoft": {
            "client_id": microsoft_graph.CLIENT_ID,
            "client_secret": microsoft_graph.CLIENT_SECRET,
            "redirect_uri": redirect_uri,
            "authorize_url": f"{tenant}/authorize",
            "token_url": f"{tenant}/token",
        },
    }


def gateway_env(urls: Mapping[str, str], gateway_url: str) -> dict[str, str]:
    """The gateway's settings for the fakes: app registrations, and where calendar sync finds the APIs."""
    redirect = f"{gateway_url}/dev/calendar-callback"  # no page there: the demo reads code and state
    google, microsoft = urls["google"], urls["microsoft"]
    apps = registrations(google, microsoft, redirect)
    return {
        **{
            f"GATEWAY_CALENDAR_OAUTH__{provider.upper()}__{key.upper()}": value
            for provider, app in apps.items()
            for key, value in app.items()
        },
        "GATEWAY_CALENDAR_SYNC__GOOGLE_API_URL": google,
        "GATEWAY_CALENDAR_SYNC__GRAPH_API_URL": microsoft,
        **(
            {}
            if "GATEWAY_USER_TOKEN_ISSUERS" in os.environ
            else {"GATEWAY_USER_TOKEN_ISSUERS": json.dumps([idp.issuer_setting(urls["idp"])])}
        ),
    }
