from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tandem_matching.models import Base


class Provider(Base):
    """A coach or mentor in a program: profile, credentials, track record and live caseload."""

    __tablename__ = "providers"
    __table_args__ = (
        UniqueConstraint("program_id", "person_id", "kind", name="uq_providers_program_person_kind"),
        # The database itself refuses an over-full caseload, whatever the application does.
        CheckConstraint("active_load >= 0 AND active_load <= capacity", name="load_within_capacity"),
        CheckConstraint("kind IN ('coach', 'mentor')", name="kind"),
        CheckConstraint("sourcing IN ('internal', 'external')", name="sourcing"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    program_id: Mapped[UUID] = mapped_column(ForeignKey("programs.id"), index=True)
    person_id: Mapped[UUID] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(16))
    timezone: Mapped[str] = mapped_column(String(64))
    working_hours: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    languages: Mapped[list[str]] = mapped_column(JSONB)
    skills: Mapped[dict[str, int]] = mapped_column(JSONB)
    behavioural_focus: Mapped[list[str]] = mapped_column(JSONB)
    sponsorship_actions: Mapped[int] = mapped_column(default=0)
    promotions_sponsored: Mapped[int] = mapped_column(default=0)
    ratings: Mapped[list[float]] = mapped_column(JSONB, default=list)
    sessions_completed: Mapped[int] = mapped_column(default=0)
    sessions_scheduled: Mapped[int] = mapped_column(default=0)
    manager_chain: Mapped[list[str]] = mapped_column(JSONB, default=list)
    calibration: Mapped[list[dict[str, int]]] = mapped_column(JSONB, default=list)
    commitment_signed: Mapped[bool] = mapped_column(Boolean, default=False)
    # The gates as last evaluated (evidence, profile or clock changed); ranking reads `eligible`.
    eligible: Mapped[bool] = mapped_column(Boolean, default=False)
    ineligible_reasons: Mapped[list[str]] = mapped_column(JSONB, default=list)
    gates: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    eligibility_overridden: Mapped[bool] = mapped_column(Boolean, default=False)
    eligibility_evaluated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A program manager's override: {gates, by, at, reason}; None when evidence is the only path.
    eligibility_override: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # External coaches take C-suite transitions and high-stakes performance cases (seed 000).
    sourcing: Mapped[str] = mapped_column(String(16), default="internal", server_default="internal")
    # The provider's own role is politically sensitive: their matches always need manual approval.
    sensitive_role: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    capacity: Mapped[int]
    active_load: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
