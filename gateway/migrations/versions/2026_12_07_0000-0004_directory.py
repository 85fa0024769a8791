"""The people directory (HRIS): people, their versions, provisioning tokens, groups.

Revision ID: 0004_directory
Revises: 0003
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tandem_kit.events import dead_letters
from tandem_kit.privacy import erased_people

revision = "0004_directory"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The gateway answers consent's data-subject requests (a consumer: dead letters, erased people);
    # later integrations create them with checkfirst too.
    dead_letters.create(op.get_bind(), checkfirst=True)
    erased_people.create(op.get_bind(), checkfirst=True)
    op.create_table(
        "people",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("external_id", sa.String(255), nullable=True),
        sa.Column("user_name", sa.String(255), nullable=False),
        sa.Column("given_name", sa.String(255), nullable=True),
        sa.Column("family_name", sa.String(255), nullable=True),
        sa.Column("display_name", sa.String(255), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("employee_number", sa.String(255), nullable=True),
        sa.Column("title", sa.String(255), nullable=True),
        sa.Column("level", sa.String(64), nullable=True),
        sa.Column("department", sa.String(255), nullable=True),
        sa.Column("division", sa.String(255), nullable=True),
        sa.Column("cost_center", sa.String(255), nullable=True),
        sa.Column("manager_id", sa.Uuid(), nullable=True),
        sa.Column("hire_date", sa.Date(), nullable=True),
        sa.Column("location", sa.String(255), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_people"),
        sa.UniqueConstraint("external_id", name="uq_people_external_id"),
        # An erasure re-keys the person's row (ON UPDATE CASCADE carries their reports along).
        sa.ForeignKeyConstraint(
            ["manager_id"], ["people.id"], name="fk_people_manager_id_people", onupdate="CASCADE"
        ),
    )
    op.create_index("uq_people_user_name_lower", "people", [sa.text("lower(user_name)")], unique=True)
    op.create_index("ix_people_email_lower", "people", [sa.text("lower(email)")])
    op.create_index("ix_people_manager_id", "people", ["manager_id"])
    op.create_table(
        "person_versions",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("effective_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("changed", postgresql.JSONB(), nullable=False),
        sa.Column("values", postgresql.JSONB(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_person_versions"),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name="fk_person_versions_person_id_people",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
    )
    op.create_index("ix_person_versions_person_effective", "person_versions", ["person_id", "effective_at"])
    op.create_table(
        "directory_groups",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("display_name", sa.String(255), nullable=False),
        sa.Column("external_id", sa.String(255), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_directory_groups"),
        sa.UniqueConstraint("external_id", name="uq_directory_groups_external_id"),
    )
    op.create_index(
        "uq_directory_groups_display_name_lower", "directory_groups", [sa.text("lower(display_name)")], unique=True
    )
    op.create_table(
        "directory_group_members",
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("group_id", "person_id", name="pk_directory_group_members"),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["directory_groups.id"],
            name="fk_directory_group_members_group_id_directory_groups",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name="fk_directory_group_members_person_id_people",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
    )
    op.create_index("ix_directory_group_members_person_id", "directory_group_members", ["person_id"])
    op.create_table(
        "provisioning_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_name", sa.String(200), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_provisioning_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_provisioning_tokens_token_hash"),
    )


def downgrade() -> None:
    op.drop_table("provisioning_tokens")
    op.drop_table("directory_group_members")
    op.drop_table("directory_groups")
    op.drop_table("person_versions")
    op.drop_table("people")
    erased_people.drop(op.get_bind(), checkfirst=True)
    dead_letters.drop(op.get_bind(), checkfirst=True)
