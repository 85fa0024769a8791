"""Notices (one row per published version) and the data inventory, seeded with the fields each purpose uses.

Also adds the `ai_summaries` purpose: raw transcripts reach a model only with that explicit opt-in.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

FIELDS = [
    # key, title, source, category, sensitivity, description
    ("job_title", "Job title", "hris", "profile", "standard", "Current job title and role family."),
    ("job_level", "Job level", "hris", "profile", "standard", "Grade or level in the leadership ladder."),
    ("tenure", "Tenure", "hris", "profile", "standard", "Time in the company and in the current role."),
    ("reporting_line", "Reporting line", "hris", "organisation", "standard",
     "Manager and skip-level manager; keeps pairs out of one reporting line."),
    ("languages", "Working languages", "hris", "profile", "standard", "Languages the person works in."),
    ("timezone", "Time zone", "hris", "availability", "standard", "IANA time zone of the usual workplace."),
    ("working_hours", "Working hours", "calendar", "availability", "standard",
     "Weekly working hours used for time-zone overlap; never calendar event contents."),
    ("skills", "Technical skills", "hris", "skills", "standard",
     "Technical skills and proficiency levels (ML, data platforms, ...) from HRIS and LMS skill taxonomies."),
    ("training_completions", "Training completions", "lms", "learning", "standard",
     "LMS completions such as the mentor curriculum and bias-awareness training."),
    ("behavioural_goals", "Behavioural goals", "intake", "development", "sensitive",
     "Goals from the intake form (stakeholder management, decision hygiene, ...)."),
    ("sponsorship_history", "Sponsorship history", "hris", "career", "sensitive",
     "Documented sponsor actions and introductions made for others."),
    ("promotion_history", "Promotion history", "hris", "career", "sensitive", "Promotions and internal moves."),
    ("mentee_outcomes", "Past coaching and mentoring outcomes", "analytics", "outcomes", "sensitive",
     "Outcomes of people this person coached or mentored before (promotions, ratings)."),
    ("session_metadata", "Session metadata", "scheduling", "sessions", "standard",
     "Session dates, duration, attendance and no-shows; never what was said."),
    ("session_indicators", "Structured session indicators", "vendor", "sessions", "standard",
     "Action items completed and self-rated confidence reported after sessions."),
    ("coaching_context", "Coaching context", "scheduling", "development", "sensitive",
     "Goals worked on and progress made, as summarised at the end of a coaching sprint."),
    ("performance_detail", "Confidential performance detail", "scheduling", "performance", "confidential",
     "Performance conversations from coaching; shared only with the person's explicit opt-in."),
    ("session_notes", "Session notes", "vendor", "sessions", "confidential",
     "Notes taken in sessions; confidential to the participant and the coach."),
    ("session_transcripts", "Session transcripts", "vendor", "sessions", "confidential",
     "Raw conversation transcripts from vendor platforms."),
]

AI_PURPOSE = (
    "ai_summaries",
    "AI conversation summaries",
    "Sending session transcripts to a third-party language model to draft summaries for you and your coach.",
)

NOTICE_FIELDS = {
    "matching": [
        "job_title", "job_level", "reporting_line", "languages", "timezone", "working_hours", "skills",
        "training_completions", "behavioural_goals", "sponsorship_history", "promotion_history",
        "mentee_outcomes",
    ],
    "analytics": ["job_level", "tenure", "session_metadata", "session_indicators", "promotion_history"],
    "vendor_sharing": ["timezone", "working_hours", "behavioural_goals", "session_metadata"],
    "handoff": ["behavioural_goals", "session_indicators", "coaching_context", "performance_detail"],
    "ai_summaries": ["session_transcripts"],
}


def purpose_id(key: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"tandem:purpose:{key}")


def upgrade() -> None:
    data_fields = op.create_table(
        "data_fields",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("sensitivity", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_data_fields"),
        sa.UniqueConstraint("key", name="uq_data_fields_key"),
    )
    notices = op.create_table(
        "notices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("purpose_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("fields", sa.ARRAY(sa.String(64)), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_notices"),
        sa.ForeignKeyConstraint(
            ["purpose_id"], ["purposes.id"], name="fk_notices_purpose_id_purposes", ondelete="RESTRICT"
        ),
        sa.UniqueConstraint("purpose_id", "version", name="uq_notices_purpose_id"),
    )
    op.bulk_insert(
        data_fields,
        [
            {"id": uuid.uuid5(uuid.NAMESPACE_URL, f"tandem:data-field:{key}"), "key": key, "title": title,
             "source": source, "category": category, "sensitivity": sensitivity, "description": description}
            for key, title, source, category, sensitivity, description in FIELDS
        ],
    )
    key, title, description = AI_PURPOSE
    op.execute(
        sa.text("INSERT INTO purposes (id, key, title, description) VALUES (:id, :key, :title, :description)")
        .bindparams(id=purpose_id(key), key=key, title=title, description=description)
    )
    # Version 1 of every existing purpose's notice is its current text, with the fields it documents.
    op.execute(
        "INSERT INTO notices (id, purpose_id, version, description, fields, published_at) "
        "SELECT gen_random_uuid(), id, notice_version, description, ARRAY[]::varchar[], created_at FROM purposes"
    )
    for key, fields in NOTICE_FIELDS.items():
        op.execute(
            notices.update()
            .where(notices.c.purpose_id == purpose_id(key))
            .values(fields=sorted(fields))
        )


def downgrade() -> None:
    op.drop_table("notices")
    op.execute(sa.text("DELETE FROM purposes WHERE key = 'ai_summaries'"))
    op.drop_table("data_fields")
