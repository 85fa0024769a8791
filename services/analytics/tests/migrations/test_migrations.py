import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

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


APPROVED = "00000000-0000-4000-8000-000000000001"
ENDED_EARLY = "00000000-0000-4000-8000-000000000002"


def run_sql(url: str, *statements: str) -> list[Any]:
    """Run the statements in one transaction on their own loop; the last one's rows."""

    async def run() -> list[Any]:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            rows: list[Any] = []
            for statement in statements:
                result = await conn.execute(text(statement))
                rows = list(result.all()) if result.returns_rows else []
        await engine.dispose()
        return rows

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, run()).result()


def in_thread(fn: Any, *args: Any) -> None:
    # Alembic's env runs its own event loop: keep it off the test's loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(fn, *args).result()


def test_match_endings_down_and_up_again(infra: Infra) -> None:
    url = infra.fresh_database("analytics_migrations", SERVICE_DIR)
    columns = "match_id, program_id, participant_id, provider_id, provider_kind"
    run_sql(
        url,
        f"INSERT INTO match_facts ({columns}, track, approved_at, ended_at, end_reason) VALUES "
        f"('{APPROVED}', gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 'coach', 'coach', now(),"
        " now(), 'completed')",
        # An end applied before its approval: no track, no approval time yet.
        f"INSERT INTO match_facts ({columns}, ended_at, end_reason) VALUES "
        f"('{ENDED_EARLY}', gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 'coach', now(),"
        " 'reassigned')",
    )

    in_thread(command.downgrade, alembic_config(SERVICE_DIR, url), "0003")

    # 0003 cannot hold a match without its approval; the approved one keeps its end time.
    assert run_sql(url, "SELECT match_id::text, ended_at IS NOT NULL FROM match_facts") == [(APPROVED, True)]
    upgrade_head(SERVICE_DIR, url)
    assert run_sql(url, "SELECT version_num FROM alembic_version") == [(head(url),)]
    assert run_sql(url, "SELECT end_reason FROM match_facts") == [(None,)]
