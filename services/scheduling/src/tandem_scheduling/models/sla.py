from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from tandem_scheduling.models import Base


class SlaPolicy(Base):
    """A program's service levels for one layer (coaching, mentoring, network); a layer without a row
    runs on the seed defaults (`sla.domain.DEFAULTS`)."""

    __tablename__ = "sla_policies"

    program_id: Mapped[UUID] = mapped_column(primary_key=True)
    layer: Mapped[str] = mapped_column(String(16), primary_key=True)
    kickoff_days: Mapped[int] = mapped_column(Integer)
    next_session_days: Mapped[int] = mapped_column(Integer)
    checkpoint_grace_days: Mapped[int] = mapped_column(Integer)
    review_every_weeks: Mapped[int | None] = mapped_column(Integer)
    attendance_floor: Mapped[float] = mapped_column(Float)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Checkpoint(Base):
    """A cadence item due on the engagement: a coaching review or a mentoring milestone review; held when
    a session of kind `checkpoint` (or a session marked as the checkpoint) is recorded attended."""

    __tablename__ = "checkpoints"
    __table_args__ = (UniqueConstraint("engagement_id", "seq", name="uq_checkpoints_engagement_id_seq"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    engagement_id: Mapped[UUID] = mapped_column(ForeignKey("engagements.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))  # coaching_review | mentoring_milestone
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    announced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    held_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    session_id: Mapped[UUID | None] = mapped_column(ForeignKey("sessions.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Escalation(Base):
    """A breached promise of an active engagement, queued for program operations: open, acknowledged,
    resolved (with a note that stays here: erasure and retention clear it)."""

    __tablename__ = "escalations"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    clock_id: Mapped[UUID] = mapped_column(ForeignKey("sla_clocks.id", ondelete="CASCADE"), unique=True)
    engagement_id: Mapped[UUID] = mapped_column(ForeignKey("engagements.id", ondelete="CASCADE"), index=True)
    program_id: Mapped[UUID]
    layer: Mapped[str] = mapped_column(String(16))
    sla: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rebreach: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))  # open | acknowledged | resolved
    assignee_id: Mapped[UUID | None]
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolution_note: Mapped[str | None] = mapped_column(Text)
