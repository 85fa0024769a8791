"""The people directory (HRIS): people, their versions, provisioning tokens, groups.

Revision ID: 0004_directory
Revises: 0003
Create Date: 2026-12-07
"""

revision = "0004_directory"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
