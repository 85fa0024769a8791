"""Surveys, business-KPI imports, vendor-sharing consent, export change tracking (issue 16).

Revision ID: 0008_inputs
Revises: 0007_kpi
Create Date: 2026-12-07

Export change tracking: every exported table gets `export_key` (a random id the warehouse keys rows
by, so a tombstone names no person) and `changed_xid` (the writing transaction, set on insert by
default and on update by a trigger). A delete leaves `(table, export_key)` in `export_tombstones`.
The export reads rows with `since <= changed_xid < xmin of its snapshot`: a transaction still open
when one export runs is read by the next, whatever order the writers commit in.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_inputs"
down_revision = "0007_kpi"
branch_labels = None
depends_on = None

EXPORTED = (
    "session_telemetry",
    "match_facts",
    "engagement_facts",
    "session_facts",
    "provider_facts",
    "sla_facts",
    "nps_responses",
    "coaching_adoption_reports",
    "business_kpi_values",
)


def upgrade() -> None:
    op.create_table(
        "survey_messages",
        sa.Column("vendor_id", sa.Uuid(), nullable=False),
        sa.Column("webhook_id", sa.String(200), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("vendor_id", "webhook_id", name="pk_survey_messages"),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendors.id"], name="fk_survey_messages_vendor_id_vendors", ondelete="RESTRICT"
        ),
    )
    op.create_table(
        "nps_responses",
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("cohort", sa.String(100), nullable=False),
        sa.Column("respondent_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("vendor_id", sa.Uuid(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("program_id", "cohort", "respondent_id", name="pk_nps_responses"),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendors.id"], name="fk_nps_responses_vendor_id_vendors", ondelete="RESTRICT"
        ),
        sa.CheckConstraint("score BETWEEN 0 AND 10", name="ck_nps_responses_score_range"),
    )
    op.create_index("ix_nps_responses_respondent_id", "nps_responses", ["respondent_id"])
    op.create_table(
        "coaching_adoption_reports",
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("quarter", sa.String(7), nullable=False),
        sa.Column("respondent_id", sa.Uuid(), nullable=False),
        sa.Column("adopted", sa.Boolean(), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("vendor_id", sa.Uuid(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("program_id", "quarter", "respondent_id", name="pk_coaching_adoption_reports"),
        sa.ForeignKeyConstraint(
            ["vendor_id"],
            ["vendors.id"],
            name="fk_coaching_adoption_reports_vendor_id_vendors",
            ondelete="RESTRICT",
        ),
        sa.CheckConstraint("quarter ~ '^[0-9]{4}-Q[1-4]$'", name="ck_coaching_adoption_reports_quarter_format"),
    )
    op.create_index(
        "ix_coaching_adoption_reports_respondent_id", "coaching_adoption_reports", ["respondent_id"]
    )
    op.create_table(
        "business_kpi_values",
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("kpi_name", sa.String(100), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("segment_kind", sa.String(10), nullable=False),
        sa.Column("segment", sa.String(100), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("imported_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint(
            "program_id", "kpi_name", "period", "segment_kind", "segment", name="pk_business_kpi_values"
        ),
        sa.CheckConstraint(
            "period ~ '^[0-9]{4}-(0[1-9]|1[0-2]|Q[1-4])$'", name="ck_business_kpi_values_period_format"
        ),
        sa.CheckConstraint(
            "segment_kind IN ('program', 'cohort', 'region')", name="ck_business_kpi_values_segment_kind"
        ),
    )
    op.create_table(
        "vendor_sharing_consents",
        sa.Column("person_id", sa.Uuid(), primary_key=True),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )

    # Export change tracking (see the module docstring); xid8 has no SQLAlchemy type, hence SQL.
    op.execute(
        "CREATE TABLE export_tombstones ("
        " table_name varchar(63) NOT NULL,"
        " export_key uuid NOT NULL,"
        " changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),"
        " deleted_at timestamptz NOT NULL DEFAULT now())"
    )
    op.execute("CREATE INDEX ix_export_tombstones_changed_xid ON export_tombstones (changed_xid)")
    op.execute(
        "CREATE FUNCTION export_touch() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN NEW.changed_xid := pg_current_xact_id(); RETURN NEW; END $$"
    )
    op.execute(
        "CREATE FUNCTION export_tombstone() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN INSERT INTO export_tombstones (table_name, export_key)"
        " SELECT TG_TABLE_NAME, export_key FROM gone; RETURN NULL; END $$"
    )
    for table in EXPORTED:
        op.execute(
            f"ALTER TABLE {table}"
            " ADD COLUMN export_key uuid NOT NULL DEFAULT gen_random_uuid(),"
            " ADD COLUMN changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id()"
        )
        op.execute(f"CREATE INDEX ix_{table}_changed_xid ON {table} (changed_xid)")
        op.execute(
            f"CREATE TRIGGER {table}_export_touch BEFORE UPDATE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION export_touch()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_export_tombstone AFTER DELETE ON {table}"
            " REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION export_tombstone()"
        )


def downgrade() -> None:
    for table in EXPORTED:
        op.execute(f"DROP TRIGGER {table}_export_tombstone ON {table}")
        op.execute(f"DROP TRIGGER {table}_export_touch ON {table}")
        op.execute(f"DROP INDEX ix_{table}_changed_xid")
        op.execute(f"ALTER TABLE {table} DROP COLUMN export_key, DROP COLUMN changed_xid")
    op.execute("DROP FUNCTION export_tombstone()")
    op.execute("DROP FUNCTION export_touch()")
    op.drop_table("export_tombstones")
    for table in (
        "vendor_sharing_consents",
        "business_kpi_values",
        "coaching_adoption_reports",
        "nps_responses",
        "survey_messages",
    ):
        op.drop_table(table)
