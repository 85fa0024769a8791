from pathlib import Path

from alembic import command

from tandem_kit.migrations import alembic_config, head_revision, upgrade_head
from tandem_kit.testing import Infra, in_thread, run_sql

SERVICE_DIR = Path(__file__).resolve().parents[2]


APPROVED = "00000000-0000-4000-8000-000000000001"
ENDED_EARLY = "00000000-0000-4000-8000-000000000002"


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
    assert run_sql(url, "SELECT version_num FROM alembic_version") == [(head_revision(SERVICE_DIR),)]
    assert run_sql(url, "SELECT end_reason FROM match_facts") == [(None,)]


def test_vendor_outcomes_back_filled_with_the_latest_outcome_per_vendor_session(infra: Infra) -> None:
    url = infra.fresh_database("analytics_migrations", SERVICE_DIR)
    config = alembic_config(SERVICE_DIR, url)
    in_thread(command.downgrade, config, "0009_pilots")
    columns = "id, vendor_id, webhook_id, type, occurred_at, vendor_session_id, participant_id, provider_id"
    rest = "started_at, duration_minutes, rating, received_at"
    vendor = "00000000-0000-4000-8000-0000000000aa"
    run_sql(
        url,
        f"INSERT INTO vendors (id, name, secret_encrypted) VALUES ('{vendor}', 'v', '\\x00')",
        f"INSERT INTO session_telemetry ({columns}, {rest}) SELECT gen_random_uuid(), '{vendor}', w, t,"
        " timestamptz '2026-11-20 09:00+00' + at * interval '1 minute', vs, gen_random_uuid(),"
        " gen_random_uuid(), timestamptz '2026-11-20 09:00+00', 50, r, timestamptz '2026-11-21 09:00+00'"
        " FROM (VALUES"
        # vs-1: a no-show corrected to completed, then a schedule (not an outcome) after both.
        " ('a', 'session.no_show', 0, 'vs-1', NULL), ('b', 'session.completed', 10, 'vs-1', 4),"
        " ('c', 'session.scheduled', 20, 'vs-1', NULL),"
        # vs-2: the later one first; vs-3: only scheduled.
        " ('d', 'session.no_show', 30, 'vs-2', NULL), ('e', 'session.completed', 5, 'vs-2', 5),"
        " ('f', 'session.scheduled', 0, 'vs-3', NULL)) AS m(w, t, at, vs, r)",
    )

    upgrade_head(SERVICE_DIR, url)

    assert run_sql(
        url,
        "SELECT o.vendor_session_id, o.type, o.rating, t.webhook_id FROM vendor_session_outcomes o"
        " JOIN session_telemetry t ON t.id = o.telemetry_id ORDER BY o.vendor_session_id",
    ) == [("vs-1", "session.completed", 4, "b"), ("vs-2", "session.no_show", None, "d")]
    # Nothing reads telemetry by vendor session any more: the ingest no longer pays for that index.
    indexes = "SELECT indexname FROM pg_indexes WHERE tablename = 'session_telemetry'"
    assert ("ix_session_telemetry_vendor_session",) not in run_sql(url, indexes)
