from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tandem_matching.models import Base


class Program(Base):
    """A coaching/mentoring program: its tracks, dates and capacity rules."""

    __tablename__ = "programs"
    __table_args__ = (
        CheckConstraint("coach_caseload_limit BETWEEN 15 AND 25", name="coach_caseload_limit"),
        CheckConstraint("mentor_high_touch_limit BETWEEN 1 AND 3", name="mentor_high_touch_limit"),
        CheckConstraint("ends_on > starts_on", name="dates"),
        CheckConstraint("status IN ('active', 'paused', 'closed')", name="status"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    name: Mapped[str] = mapped_column(String(200))
    tracks: Mapped[list[str]] = mapped_column(JSONB)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    coach_caseload_limit: Mapped[int]
    mentor_high_touch_limit: Mapped[int]
    active_leaders: Mapped[int | None]
    # Paused: no new intakes, proposals or approvals while running matches go on; closed for good.
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    status_reason: Mapped[str | None] = mapped_column(String(2000))
    status_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status_changed_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class WeightSetVersion(Base):
    """One version of a program's signal weights; a change is a new row, never an update."""

    __tablename__ = "weight_sets"
    __table_args__ = (UniqueConstraint("program_id", "version", name="uq_weight_sets_program_version"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    program_id: Mapped[UUID] = mapped_column(ForeignKey("programs.id"), index=True)
    version: Mapped[int]
    weights: Mapped[dict[str, int]] = mapped_column(JSONB)
    reason: Mapped[str | None] = mapped_column(String(2000))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Cohort(Base):
    """A group of participants of one program matched together."""

    __tablename__ = "cohorts"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    program_id: Mapped[UUID] = mapped_column(ForeignKey("programs.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
