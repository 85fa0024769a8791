"""Alembic helpers shared by every service's migration tree."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from alembic import command, context, op
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import async_engine_from_config

from tandem_kit.events import dead_letters, outbox_messages, processed_events
from tandem_kit.idempotency import idempotency_keys
from tandem_kit.privacy import erased_people


def create_kit_tables() -> None:
    """Create the outbox and processed-event tables; call from a service's first migration."""
    bind = op.get_bind()
    for table in (outbox_messages, processed_events):
        table.create(bind)


def drop_kit_tables() -> None:
    bind = op.get_bind()
    for table in (processed_events, outbox_messages):
        table.drop(bind)


def create_dead_letter_tables() -> None:
    """Create the table where consumers park events they could not apply (see tandem_kit.deadletters)."""
    dead_letters.create(op.get_bind())


def drop_dead_letter_tables() -> None:
    dead_letters.drop(op.get_bind())


def create_idempotency_tables() -> None:
    """Create the table of Idempotency-Keys and their stored answers (see tandem_kit.idempotency)."""
    idempotency_keys.create(op.get_bind())


def drop_idempotency_tables() -> None:
    idempotency_keys.drop(op.get_bind())


def create_privacy_tables() -> None:
    """Create the erased-people record (`tandem_kit.privacy`); call from a service's migration."""
    erased_people.create(op.get_bind())


def drop_privacy_tables() -> None:
    erased_people.drop(op.get_bind())


def run_env(target_metadata: MetaData) -> None:
    """Body of every service's `migrations/env.py`: online, async, URL from `-x url=` or the config."""
    config = context.config
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")

    def do_run(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = async_engine_from_config(
            {"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool
        )
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(run_async())


def alembic_config(service_dir: Path, url: str) -> Config:
    cfg = Config(str(service_dir / "alembic.ini"))
    cfg.set_main_option("script_location", str(service_dir / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    cfg.cmd_opts = None
    return cfg


def head_revision(service_dir: Path) -> str:
    """The newest revision of one part's migrations (what `upgrade head` reaches)."""
    found = ScriptDirectory.from_config(alembic_config(service_dir, "")).get_current_head()
    if found is None:
        raise RuntimeError(f"no migrations under {service_dir}")
    return found


def upgrade_head(service_dir: Path, url: str) -> None:
    """`alembic upgrade head` for one service; safe to call with or without a running event loop."""
    # env.py drives the async engine with asyncio.run, which needs a thread without a running loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(command.upgrade, alembic_config(service_dir, url), "head").result()
