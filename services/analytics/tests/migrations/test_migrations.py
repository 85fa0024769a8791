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
