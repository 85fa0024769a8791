"""Training evidence and eligibility gates, overrides.

Revision ID: 0005_evidence
Revises: 0004_directory_facts
Create Date: 2026-12-07
"""

revision = "0005_evidence"
down_revision = "0004_directory_facts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
