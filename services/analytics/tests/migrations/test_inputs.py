"""0008_inputs: survey, business-KPI and export change-tracking tables, down and up again."""

from pathlib import Path

import pytest
from alembic import command

from tandem_kit.migrations import alembic_config, head_revision, upgrade_head
from tandem_kit.testing import Infra, in_thread, run_sql

SERVICE_DIR = Path(__file__).resolve().parents[2]
PROGRAM = "00000000-0000-4000-8000-0000000000a1"


def test_business_kpi_period_must_be_a_month_or_quarter(infra: Infra) -> None:
    url = infra.fresh_database("analytics_inputs", SERVICE_DIR)
    insert = (
        "INSERT INTO business_kpi_values (program_id, kpi_name, period, segment_kind, segment, value, imported_by)"
        f" VALUES ('{PROGRAM}', 'csat', '{{}}', 'program', '', 72, 'test')"
    )
    run_sql(url, insert.format("2026-Q4"), insert.format("2026-11"))
    with pytest.raises(Exception, match="ck_business_kpi_values_period_format"):
        run_sql(url, insert.format("2026-13"))


def test_a_delete_leaves_a_tombstone_without_the_person(infra: Infra) -> None:
    url = infra.fresh_database("analytics_inputs", SERVICE_DIR)
    run_sql(
        url,
        "INSERT INTO vendors (id, name, secret_encrypted) VALUES (gen_random_uuid(), 'v', '\\x00')",
        "INSERT INTO nps_responses (program_id, cohort, respondent_id, score, responded_at, vendor_id)"
        f" SELECT '{PROGRAM}', 'c1', gen_random_uuid(), 9, now(), id FROM vendors",
    )
    [(key, written)] = run_sql(url, "SELECT export_key::text, changed_xid::text FROM nps_responses")
    run_sql(url, "UPDATE nps_responses SET score = 10")
    [(touched,)] = run_sql(url, "SELECT changed_xid::text FROM nps_responses")
    assert int(touched) > int(written)

    run_sql(url, "DELETE FROM nps_responses")

    assert run_sql(url, "SELECT table_name, export_key::text FROM export_tombstones") == [
        ("nps_responses", key)
    ]


def test_down_and_up_again(infra: Infra) -> None:
    url = infra.fresh_database("analytics_inputs", SERVICE_DIR)
    in_thread(command.downgrade, alembic_config(SERVICE_DIR, url), "0007_kpi")
    assert run_sql(url, "SELECT to_regclass('nps_responses') IS NULL") == [(True,)]
    upgrade_head(SERVICE_DIR, url)
    assert run_sql(url, "SELECT version_num FROM alembic_version") == [(head_revision(SERVICE_DIR),)]
