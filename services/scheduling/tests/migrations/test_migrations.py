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
            "checkpoints",
            "dead_letters",
            "ended_matches",
            "engagements",
            "erased_people",
            "escalations",
            "group_seats",
            "group_sessions",
            "group_waitlist_entries",
            "idempotency_keys",
            "outbox_messages",
            "person_statuses",
            "processed_events",
            "session_attendees",
            "session_conflicts",
            "sessions",
            "sla_clocks",
            "sla_policies",
            "working_agreements",
        ],
        [head_revision(SERVICE_DIR)],
    )


ENGAGEMENT = "00000000-0000-4000-8000-0000000000e1"


def test_kickoff_clocks_become_kickoff_held_and_keep_their_state(infra: Infra) -> None:
    url = infra.fresh_database("scheduling_kickoff_held", SERVICE_DIR)
    config = alembic_config(SERVICE_DIR, url)
    in_thread(command.downgrade, config, "0008_attendance")
    run_sql(
        url,
        "INSERT INTO engagements (id, match_id, program_id, participant_id, provider_id, provider_person_id,"
        " provider_kind, track, status, cadence, session_minutes, planned_months, review_every_weeks,"
        " participant_timezone, participant_working_hours, provider_timezone, provider_working_hours,"
        f" approved_at) VALUES ('{ENGAGEMENT}', gen_random_uuid(), gen_random_uuid(), gen_random_uuid(),"
        " gen_random_uuid(), gen_random_uuid(), 'coach', 'coach', 'active', 'weekly', 60, 3, 6, 'UTC', '[]',"
        " 'UTC', '[]', '2026-12-01T10:00:00Z')",
        # Met under the old rule (booked in time): it stays met.
        "INSERT INTO sla_clocks (id, engagement_id, kind, due_at, met_at) VALUES (gen_random_uuid(),"
        f" '{ENGAGEMENT}', 'kickoff', '2026-12-08T10:00:00Z', '2026-12-02T10:00:00Z')",
    )
    upgrade_head(SERVICE_DIR, url)
    assert run_sql(url, "SELECT kind, seq, met_at IS NOT NULL FROM sla_clocks") == [("kickoff_held", 0, True)]
    in_thread(command.downgrade, config, "0008_attendance")
    assert run_sql(url, "SELECT kind, met_at IS NOT NULL FROM sla_clocks") == [("kickoff", True)]
