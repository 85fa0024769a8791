"""Purposes for sharing with the HRIS and the LRS.

Revision ID: 0010_purposes_outside
Revises: 0008_idem
Create Date: 2026-12-07
"""

revision = "0010_purposes_outside"
down_revision = "0008_idem"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
