from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Boolean, DateTime, ForeignKey, String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tandem_matching.models import Base


class Intake(Base):
    """A participant's intake in a program: triggers, the decided track, goals and constraints."""

    __tablename__ = "intakes"
    __table_args__ = (UniqueConstraint("program_id", "person_id", name="uq_intakes_program_person"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    program_id: Mapped[UUID] = mapped_column(ForeignKey("programs.id"), index=True)
    cohort_id: Mapped[UUID | None] = mapped_column(ForeignKey("cohorts.id"), index=True)
    person_id: Mapped[UUID] = mapped_column(index=True)
    triggers: Mapped[list[str]] = mapped_column(JSONB)
    track: Mapped[str] = mapped_column(String(32))
    track_reason: Mapped[str] = mapped_column(String(2000))
    track_overridden: Mapped[bool] = mapped_column(Boolean, default=False)
    promotion_related: Mapped[bool] = mapped_column(Boolean, default=False)
    timezone: Mapped[str] = mapped_column(String(64))
    working_hours: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    languages: Mapped[list[str]] = mapped_column(JSONB)
    wanted_skills: Mapped[dict[str, int]] = mapped_column(JSONB)
    behavioural_goals: Mapped[list[str]] = mapped_column(JSONB)
    manager_chain: Mapped[list[str]] = mapped_column(JSONB, default=list)
    political_risk_flags: Mapped[list[str]] = mapped_column(JSONB, default=list)
    # C-suite transition, high-stakes performance case: only external coaches are ranked (seed 000).
    case_flags: Mapped[list[str]] = mapped_column(JSONB, default=list, server_default="[]")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
