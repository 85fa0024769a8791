"""XAPI: statements, curriculum mappings, evidence, LRS connections, LMS credentials.

Revision ID: 0007_xapi
Revises: 0006_hris_sync
Create Date: 2026-12-07
"""

revision = "0007_xapi"
down_revision = "0006_hris_sync"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
