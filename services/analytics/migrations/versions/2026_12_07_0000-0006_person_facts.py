"""Person facts with history, promotion facts.

Revision ID: 0006_person_facts
Revises: 0005_erasure
Create Date: 2026-12-07
"""

revision = "0006_person_facts"
down_revision = "0005_erasure"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
