"""Every population a KPI series (program or all, cohort, KPI) has been published with, by a live
read or a snapshot: the differencing rule between two moments compares a new figure with all of them,
so two live reads a few people apart cannot reveal those people; with a fingerprint of who they were
(`members`), so the same count with other people is caught too. Back-filled from the snapshot values
that published a figure (no fingerprint: those were not kept).

Revision ID: 0011_kpi_publications
Revises: 0010_vendor_outcomes
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_kpi_publications"
down_revision = "0010_vendor_outcomes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kpi_publications",
        sa.Column("series", sa.String(100), nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("members", sa.BigInteger(), nullable=True),
        sa.Column("first_published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("series", "name", "population", name="pk_kpi_publications"),
    )
    op.execute(
        "INSERT INTO kpi_publications (series, name, population, first_published_at) "
        "SELECT coalesce(program_id::text, 'all') || '/' || coalesce(cohort, ''), name, population, "
        "min(taken_at) FROM kpi_snapshot_values "
        "WHERE population IS NOT NULL AND status NOT IN ('suppressed', 'insufficient_data') "
        "GROUP BY 1, name, population"
    )


def downgrade() -> None:
    op.drop_table("kpi_publications")
