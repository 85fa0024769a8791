"""HR facts from the directory: people projection, review flags, read-back.

Revision ID: 0004_directory_facts
Revises: 0003_erasure
Create Date: 2026-12-07
"""

revision = "0004_directory_facts"
down_revision = "0003_erasure"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
