"""Bootstrap CLI for a fresh install (no admin token exists yet).

    python -m tandem_gateway.bootstrap create-client --name dev --scopes all --output .tandem/dev-client.json

Runs the gateway's migrations, then writes `client_id`, `client_secret` and `token_url` to the file.
Idempotent by name: an existing file whose client still exists and is enabled is kept; a client whose
file was lost gets a new secret (the old one cannot be recovered, it is stored only hashed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_gateway.oauth import clients, repository
from tandem_gateway.oauth.domain import parse_scopes
from tandem_gateway.oauth.schemas import ClientCreate
from tandem_gateway.settings import Settings
from tandem_kit.db import Database
from tandem_kit.migrations import upgrade_head

GATEWAY_DIR = Path(__file__).resolve().parents[2]


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")
    tmp.replace(path)


async def ensure_client(
    session: AsyncSession, settings: Settings, *, name: str, scopes: list[str], output: Path
) -> str:
    """Make sure `output` holds working credentials for the client `name`; says what it did."""
    existing = await repository.get_client_by_name(session, name)
    saved = _read(output)
    if (
        existing is not None
        and existing.enabled
        and saved is not None
        and saved.get("client_id") == existing.client_id
        and saved.get("client_secret")
    ):
        if sorted(existing.scopes) != sorted(scopes):
            existing.scopes = scopes
            await session.flush()
            return "kept (scopes updated)"
        return "kept"
    if existing is not None:
        client, secret = await clients.rotate_secret(session, None, existing.client_id)
        client.scopes, client.enabled, client.disabled_at = scopes, True, None
        await session.flush()
        action = "secret rotated"
    else:
        client, secret = await clients.create_client(session, None, ClientCreate(name=name, scopes=scopes))
        action = "created"
    _write(
        output,
        {
            "client_id": client.client_id,
            "client_secret": secret,
            "token_url": settings.token_url,
            "name": name,
        },
    )
    return action


async def create_client_command(args: argparse.Namespace) -> int:
    settings = Settings()
    if not args.no_migrate:
        upgrade_head(GATEWAY_DIR, settings.database_url)
    database = Database(settings.database_url, pool_size=1)
    try:
        async with database.sessionmaker() as session, session.begin():
            action = await ensure_client(
                session, settings, name=args.name, scopes=parse_scopes(args.scopes), output=Path(args.output)
            )
    finally:
        await database.dispose()
    sys.stdout.write(f"client {args.name}: {action} -> {args.output}\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tandem_gateway.bootstrap")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-client", help="Create (or keep) a client and write its credentials.")
    create.add_argument("--name", required=True)
    create.add_argument("--scopes", required=True, help='"all" or a space/comma separated list.')
    create.add_argument("--output", required=True)
    create.add_argument("--no-migrate", action="store_true", help="Skip `alembic upgrade head`.")
    args = parser.parse_args(argv)
    try:
        return asyncio.run(create_client_command(args))
    except ValueError as exc:
        parser.error(str(exc))
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
