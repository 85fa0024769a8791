from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tandem_matching.models import Base


class Handoff(Base):
    """A dual-track participant's move from the coaching sprint to a mentor: one per completed
    coaching match. `context` holds goals and progress only when the participant's `handoff`
    consent allowed them to travel (`shared_context`); otherwise it stays empty."""

    __tablename__ = "handoffs"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    program_id: Mapped[UUID] = mapped_column(ForeignKey("programs.id"), index=True)
    intake_id: Mapped[UUID] = mapped_column(ForeignKey("intakes.id"), index=True)
    participant_id: Mapped[UUID] = mapped_column(index=True)
    from_match_id: Mapped[UUID] = mapped_column(ForeignKey("matches.id"), unique=True)
    to_match_id: Mapped[UUID | None] = mapped_column(ForeignKey("matches.id"))
    mentor_person_id: Mapped[UUID | None] = mapped_column(index=True)
    proposal_id: Mapped[UUID | None] = mapped_column(ForeignKey("proposals.id"))
    shared_context: Mapped[bool] = mapped_column(Boolean, default=False)
    context: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    checklist: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    prepared_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class SponsorAction(Base):
    """One sponsor action a mentor logged for a mentee (a mentor match). A correction edits the row
    (`corrected_at`); a retraction keeps it (`retracted_at`) out of every count."""

    __tablename__ = "sponsor_actions"
    __table_args__ = (Index("ix_sponsor_actions_mentor_date", "mentor_person_id", "action_date"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    match_id: Mapped[UUID] = mapped_column(ForeignKey("matches.id"), index=True)
    program_id: Mapped[UUID] = mapped_column(ForeignKey("programs.id"), index=True)
    participant_id: Mapped[UUID] = mapped_column(index=True)
    mentor_person_id: Mapped[UUID]
    kind: Mapped[str] = mapped_column(String(32))
    action_date: Mapped[date] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(16))
    # Free text about people: never leaves matching; erasure and retention clear it.
    description: Mapped[str | None] = mapped_column(String(2000))
    logged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    logged_by: Mapped[str] = mapped_column(String(200))
    corrected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    retracted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    retracted_by: Mapped[str | None] = mapped_column(String(200))
