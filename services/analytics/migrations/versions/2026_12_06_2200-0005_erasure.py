"""The erased-people record: keyed hashes of erased person ids, which consumers check late events
against (tandem_kit.privacy).

Revision ID: 0005_erasure
Revises: 0005_idem
Create Date: 2026-12-06
"""

from tandem_kit.migrations import create_privacy_tables, drop_privacy_tables

revision = "0005_erasure"
down_revision = "0005_idem"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_privacy_tables()


def downgrade() -> None:
    drop_privacy_tables()
