"""Purposes for sharing with the HRIS and the LRS.

`hris_readback`: the HRIS reads a person's program participation and sponsor actions back from
matching (`GET /api/v1/matching/hris/participation`), only for people who granted it. Its notice
(version 1) documents two fields: the new `program_participation` and the existing
`sponsorship_history`.

`lrs_reporting`: the gateway reports a person's program milestones (working agreement signed, kickoff
held, session attended, track completed) and microlearning assignments to the organisation's own LRS
as xAPI statements (docs/lms.md), only for people who granted it. Its notice documents
`program_participation`.

Revision ID: 0010_purposes_outside
Revises: 0008_idem
Create Date: 2026-12-07
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0010_purposes_outside"
down_revision = "0008_idem"
branch_labels = None
depends_on = None

FIELD = (
    "program_participation",
    "Program participation",
    "intake",  # participation starts at the intake (the inventory's sources are the data's origins)
    "program",
    "standard",
    "Programs joined, as participant, coach or mentor: track, status and dates; never session content.",
)
PURPOSES = (
    (
        "hris_readback",
        "Sharing participation with the HRIS",
        "Sending your program participation (program, track, status, dates) and documented sponsor "
        "actions back to the company's HR system, e.g. for talent reviews and your development record.",
        ["program_participation", "sponsorship_history"],
    ),
    (
        "lrs_reporting",
        "Reporting program milestones to the learning record store",
        "Sending your program milestones (working agreement signed, kickoff held, sessions attended, track "
        "completed) and the microlearning assigned to you to the company's learning record store (LRS), "
        "as xAPI statements naming you by your work e-mail.",
        ["program_participation"],
    ),
)


def _id(kind: str, key: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"tandem:{kind}:{key}")


def upgrade() -> None:
    key, title, source, category, sensitivity, description = FIELD
    op.execute(
        sa.text(
            "INSERT INTO data_fields (id, key, title, description, source, category, sensitivity) "
            "VALUES (:id, :key, :title, :description, :source, :category, :sensitivity)"
        ).bindparams(
            id=_id("data-field", key),
            key=key,
            title=title,
            description=description,
            source=source,
            category=category,
            sensitivity=sensitivity,
        )
    )
    for key, title, description, fields in PURPOSES:
        op.execute(
            sa.text(
                "INSERT INTO purposes (id, key, title, description) VALUES (:id, :key, :title, :description)"
            ).bindparams(id=_id("purpose", key), key=key, title=title, description=description)
        )
        op.execute(
            sa.text(
                "INSERT INTO notices (id, purpose_id, version, description, fields) "
                "VALUES (:id, :purpose_id, 1, :description, :fields)"
            ).bindparams(
                sa.bindparam("fields", type_=sa.ARRAY(sa.String(64))),
                id=uuid.uuid4(),
                purpose_id=_id("purpose", key),
                description=description,
                fields=sorted(fields),
            )
        )


def downgrade() -> None:
    for key, *_ in PURPOSES:
        purpose = _id("purpose", key)
        op.execute(sa.text("DELETE FROM notices WHERE purpose_id = :id").bindparams(id=purpose))
        op.execute(sa.text("DELETE FROM purposes WHERE id = :id").bindparams(id=purpose))
    op.execute(sa.text("DELETE FROM data_fields WHERE key = :key").bindparams(key=FIELD[0]))
