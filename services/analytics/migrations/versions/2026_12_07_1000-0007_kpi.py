"""KPI catalog, facts of issue 15 events, snapshots (issue 16).

Revision ID: 0007_kpi
Revises: 0006_person_facts
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_kpi"
down_revision = "0006_person_facts"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("provider_facts", sa.Column("capacity_changed_at", TZ))
    op.create_table(
        "attendance_facts",
        sa.Column("session_id", sa.Uuid(), primary_key=True),
        sa.Column("engagement_id", sa.Uuid(), nullable=False),
        sa.Column("match_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("provider_person_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("starts_at", TZ, nullable=False),
        sa.Column("held", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(30), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.Column("recorded_by_role", sa.String(20), nullable=False),
    )
    op.create_table(
        "sla_outcome_facts",
        sa.Column("engagement_id", sa.Uuid(), primary_key=True),
        sa.Column("sla", sa.String(40), primary_key=True),
        sa.Column("due_at", TZ, primary_key=True),
        sa.Column("match_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid()),
        sa.Column("layer", sa.String(20)),
        sa.Column("met", sa.Boolean(), nullable=False),
        sa.Column("ended_at", TZ, nullable=False),
    )
    op.create_index("ix_sla_outcome_facts_program_due", "sla_outcome_facts", ["program_id", "due_at"])
    op.create_table(
        "escalation_facts",
        sa.Column("escalation_id", sa.Uuid(), primary_key=True),
        sa.Column("engagement_id", sa.Uuid(), nullable=False),
        sa.Column("match_id", sa.Uuid()),
        sa.Column("program_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("layer", sa.String(20), nullable=False),
        sa.Column("sla", sa.String(40), nullable=False),
        sa.Column("due_at", TZ),
        sa.Column("opened_at", TZ),
        sa.Column("rebreach", sa.Boolean(), nullable=False),
        sa.Column("resolved_at", TZ),
    )
    op.create_table(
        "sponsor_action_facts",
        sa.Column("action_id", sa.Uuid(), primary_key=True),
        sa.Column("match_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("participant_id", sa.Uuid()),
        sa.Column("mentor_person_id", sa.Uuid()),
        sa.Column("kind", sa.String(30)),
        sa.Column("action_date", sa.Date()),
        sa.Column("outcome", sa.String(20)),
        sa.Column("logged_at", TZ),
        sa.Column("retracted_at", TZ),
    )
    op.create_table(
        "program_status_facts",
        sa.Column("program_id", sa.Uuid(), primary_key=True),
        sa.Column("changed_at", TZ, primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
    )
    op.create_table(
        "agreement_facts",
        sa.Column("agreement_id", sa.Uuid(), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("engagement_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("match_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("signed_at", TZ, nullable=False),
    )
    op.create_table(
        "proposal_facts",
        sa.Column("proposal_id", sa.Uuid(), primary_key=True),
        sa.Column("program_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "group_seat_facts",
        sa.Column("seat_id", sa.Uuid(), primary_key=True),
        sa.Column("group_session_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", TZ),
        sa.Column("from_waitlist", sa.Boolean(), nullable=False),
        sa.Column("booked_at", TZ),
        sa.Column("released_at", TZ),
        sa.Column("release_reason", sa.String(30)),
    )
    op.create_table(
        "analytics_consent_changes",
        sa.Column("person_id", sa.Uuid(), primary_key=True),
        sa.Column("changed_at", TZ, primary_key=True),
        sa.Column("granted", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "analytics_consent_periods",
        sa.Column("person_id", sa.Uuid(), primary_key=True),
        sa.Column("granted_from", TZ, primary_key=True),
        sa.Column("granted_until", TZ),
    )
    # The consent already recorded (one state per person) becomes each person's first change.
    op.execute(
        "INSERT INTO analytics_consent_changes (person_id, changed_at, granted) "
        "SELECT person_id, changed_at, granted FROM analytics_consents"
    )
    op.execute(
        "INSERT INTO analytics_consent_periods (person_id, granted_from) "
        "SELECT person_id, changed_at FROM analytics_consents WHERE granted"
    )
    op.create_table(
        "kpi_programs",
        sa.Column("program_id", sa.Uuid(), primary_key=True),
        sa.Column("started_on", sa.Date()),
        sa.Column("amber_band", sa.Float()),
        sa.Column("business_kpi", sa.String(100)),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "kpi_targets",
        sa.Column("program_id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(60), primary_key=True),
        sa.Column("baseline", sa.Float()),
        sa.Column("target_6m", sa.Float()),
        sa.Column("target_12m", sa.Float()),
        sa.Column("amber_band", sa.Float()),
    )
    op.create_table(
        "kpi_snapshots",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("program_id", sa.Uuid()),
        sa.Column("cohort", sa.String(40)),
        sa.Column("taken_at", TZ, nullable=False),
        sa.Column("trigger", sa.String(20), nullable=False),
    )
    op.create_index("ix_kpi_snapshots_program_taken", "kpi_snapshots", ["program_id", "taken_at"])
    op.create_table(
        "kpi_snapshot_values",
        sa.Column(
            "snapshot_id",
            sa.Uuid(),
            sa.ForeignKey("kpi_snapshots.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("name", sa.String(60), primary_key=True),
        sa.Column("program_id", sa.Uuid()),
        sa.Column("cohort", sa.String(40)),
        sa.Column("taken_at", TZ, nullable=False),
        sa.Column("value", sa.Float()),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("target", sa.Float()),
        sa.Column("baseline", sa.Float()),
        sa.Column("population", sa.Integer()),
    )
    op.create_index(
        "ix_kpi_snapshot_values_series",
        "kpi_snapshot_values",
        ["program_id", "name", "cohort", "taken_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_kpi_snapshot_values_series", "kpi_snapshot_values")
    op.drop_index("ix_kpi_snapshots_program_taken", "kpi_snapshots")
    op.drop_index("ix_sla_outcome_facts_program_due", "sla_outcome_facts")
    for table in (
        "kpi_snapshot_values",
        "kpi_snapshots",
        "kpi_targets",
        "kpi_programs",
        "analytics_consent_periods",
        "analytics_consent_changes",
        "group_seat_facts",
        "proposal_facts",
        "agreement_facts",
        "program_status_facts",
        "sponsor_action_facts",
        "escalation_facts",
        "sla_outcome_facts",
        "attendance_facts",
    ):
        op.drop_table(table)
    op.drop_column("provider_facts", "capacity_changed_at")
