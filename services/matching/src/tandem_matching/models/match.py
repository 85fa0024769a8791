from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import DateTime, Float, ForeignKey, Index, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tandem_matching.models import Base


class Match(Base):
    """An approved pairing. Ending one keeps the row; a reassignment links old and new."""

    __tablename__ = "matches"
    __table_args__ = (
        # A participant has at most one active coach and one active mentor per program.
        Index(
            "uq_matches_active_intake_kind",
            "intake_id",
            "provider_kind",
            unique=True,
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    program_id: Mapped[UUID] = mapped_column(ForeignKey("programs.id"), index=True)
    proposal_id: Mapped[UUID | None] = mapped_column(ForeignKey("proposals.id"))
    intake_id: Mapped[UUID] = mapped_column(ForeignKey("intakes.id"))
    participant_id: Mapped[UUID] = mapped_column(index=True)
    provider_id: Mapped[UUID] = mapped_column(ForeignKey("providers.id"), index=True)
    provider_person_id: Mapped[UUID] = mapped_column(index=True)
    provider_kind: Mapped[str] = mapped_column(String(16))
    track: Mapped[str] = mapped_column(String(32))
    score: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="active")
    approved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    approved_by: Mapped[str] = mapped_column(String(200))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_reason: Mapped[str | None] = mapped_column(String(2000))
    previous_match_id: Mapped[UUID | None] = mapped_column(ForeignKey("matches.id"))
    # Set when an HR event asks a program manager to look again (e.g. `job_changed`); cleared with a note.
    review_reason: Mapped[str | None] = mapped_column(String(32))
    flagged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Decision(Base):
    """The audit trail of every human (or automatic) decision: who, when, what score, why."""

    __tablename__ = "decisions"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    program_id: Mapped[UUID] = mapped_column(ForeignKey("programs.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(200))
    proposal_id: Mapped[UUID | None] = mapped_column(ForeignKey("proposals.id"))
    match_id: Mapped[UUID | None] = mapped_column(ForeignKey("matches.id"))
    intake_id: Mapped[UUID | None] = mapped_column(ForeignKey("intakes.id"))
    provider_id: Mapped[UUID | None] = mapped_column(ForeignKey("providers.id"))
    score: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(String(2000))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("clock_timestamp()"), index=True
    )
