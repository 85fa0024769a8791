from pathlib import Path

from alembic import command

from tandem_kit.migrations import alembic_config, head_revision, upgrade_head
from tandem_kit.testing import Infra, in_thread, run_sql

SERVICE_DIR = Path(__file__).resolve().parents[2]


def tables_and_version(url: str) -> tuple[list[str], list[str]]:
    tables = run_sql(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    versions = run_sql(url, "SELECT version_num FROM alembic_version")
    return [t for (t,) in tables], [v for (v,) in versions]


def test_downgrade_to_base_and_up_again(infra: Infra) -> None:
    url = infra.fresh_database("scheduling_migrations", SERVICE_DIR)
    in_thread(command.downgrade, alembic_config(SERVICE_DIR, url), "base")
    assert tables_and_version(url) == (["alembic_version"], [])
    upgrade_head(SERVICE_DIR, url)
    assert tables_and_version(url) == (
        [
            "alembic_version",
            "attendance_conflicts",
            "attendance_marks",
            "attendance_standings",
            "attendance_vendor_reports",
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
        [head_revision(SERVICE_DIR)],
    )
