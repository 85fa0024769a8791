"""Kit table: Idempotency-Keys of POST requests and their stored answers (tandem_kit.idempotency).

Revision ID: 0005_idem
Revises: 0005_deadletter
Create Date: 2026-12-06
"""

from tandem_kit.migrations import create_idempotency_tables, drop_idempotency_tables

revision = "0005_idem"
down_revision = "0005_deadletter"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_idempotency_tables()


def downgrade() -> None:
    drop_idempotency_tables()
