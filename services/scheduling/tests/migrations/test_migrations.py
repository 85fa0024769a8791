import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tandem_kit.migrations import alembic_config, upgrade_head
from tandem_kit.testing import Infra

SERVICE_DIR = Path(__file__).resolve().parents[2]


def head(url: str) -> str:
    """The newest revision of the service's migrations (what `upgrade head` reaches)."""
    found = ScriptDirectory.from_config(alembic_config(SERVICE_DIR, url)).get_current_head()
    assert found is not None
    return found


def tables_and_version(url: str) -> tuple[list[str], list[str]]:
    async def read() -> tuple[list[str], list[str]]:
        engine = create_async_engine(url)
        async with engine.connect() as conn:
            tables = (
                await conn.scalars(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
                )
            ).all()
            versions = (await conn.scalars(text("SELECT version_num FROM alembic_version"))).all()
        await engine.dispose()
        return list(tables), list(versions)

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, read()).result()


def test_downgrade_to_base_and_up_again(infra: Infra) -> None:
    url = infra.fresh_database("scheduling_migrations", SERVICE_DIR)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(command.downgrade, alembic_config(SERVICE_DIR, url), "base").result()
    assert tables_and_version(url) == (["alembic_version"], [])
    upgrade_head(SERVICE_DIR, url)
    assert tables_and_version(url) == (
        [
            "alembic_version",
            "calendar_links",
            "dead_letters",
            "ended_matches",
            "engagements",
            "erased_people",
            "idempotency_keys",
            "outbox_messages",
            "person_statuses",
            "processed_events",
            "session_attendees",
            "session_conflicts",
            "sessions",
            "sla_clocks",
            "working_agreements",
        ],
        [head(url)],
    )
