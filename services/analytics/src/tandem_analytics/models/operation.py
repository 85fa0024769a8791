"""Facts copied from the program-operations events (issue 15) and the `analytics` consent history.

Each row is keyed by the producer's own id, so a replay (same or new event id) leaves the same rows.
"""

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import Boolean, Date, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tandem_analytics.models import Base


class AttendanceFact(Base):
    """The attendance ledger's latest word on a session: held or missed, the highest revision wins."""

    __tablename__ = "attendance_facts"

    session_id: Mapped[UUID] = mapped_column(primary_key=True)
    engagement_id: Mapped[UUID]
    match_id: Mapped[UUID]
    program_id: Mapped[UUID] = mapped_column(index=True)
    participant_id: Mapped[UUID]
    provider_person_id: Mapped[UUID]
    kind: Mapped[str] = mapped_column(String(20))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    held: Mapped[bool] = mapped_column(Boolean)
    # `attended`, or the miss outcome (no_show_participant/no_show_provider/cancelled_late/rescheduled).
    outcome: Mapped[str] = mapped_column(String(30))
    revision: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by_role: Mapped[str] = mapped_column(String(20))


class SlaOutcomeFact(Base):
    """One SLA clock that ended: met in time (`SlaMet`) or breached (`SlaBreached`), per layer."""

    __tablename__ = "sla_outcome_facts"
    __table_args__ = (Index("ix_sla_outcome_facts_program_due", "program_id", "due_at"),)

    engagement_id: Mapped[UUID] = mapped_column(primary_key=True)
    sla: Mapped[str] = mapped_column(String(40), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    match_id: Mapped[UUID]
    # Older SlaBreached events (before issue 15) carry neither: such rows count in no program's figure.
    program_id: Mapped[UUID | None]
    layer: Mapped[str | None] = mapped_column(String(20))
    met: Mapped[bool] = mapped_column(Boolean)
    ended_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EscalationFact(Base):
    """An escalation opened on a breach and, once resolved, when. A resolution may arrive first."""

    __tablename__ = "escalation_facts"

    escalation_id: Mapped[UUID] = mapped_column(primary_key=True)
    engagement_id: Mapped[UUID]
    match_id: Mapped[UUID | None]
    program_id: Mapped[UUID] = mapped_column(index=True)
    layer: Mapped[str] = mapped_column(String(20))
    sla: Mapped[str] = mapped_column(String(40))
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rebreach: Mapped[bool] = mapped_column(Boolean, default=False)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SponsorActionFact(Base):
    """A mentor's sponsor action (the latest `logged_at` wins); retracted ones keep their row."""

    __tablename__ = "sponsor_action_facts"

    action_id: Mapped[UUID] = mapped_column(primary_key=True)
    match_id: Mapped[UUID]
    program_id: Mapped[UUID] = mapped_column(index=True)
    # Null until the logging arrives when a retraction was applied first.
    participant_id: Mapped[UUID | None]
    mentor_person_id: Mapped[UUID | None]
    kind: Mapped[str | None] = mapped_column(String(30))
    action_date: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(20))
    logged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    retracted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ProgramStatusFact(Base):
    """A program's status from `changed_at` until its next row (history)."""

    __tablename__ = "program_status_facts"

    program_id: Mapped[UUID] = mapped_column(primary_key=True)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))


class AgreementFact(Base):
    """A working agreement version signed by both parties."""

    __tablename__ = "agreement_facts"

    agreement_id: Mapped[UUID] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    engagement_id: Mapped[UUID] = mapped_column(index=True)
    match_id: Mapped[UUID]
    participant_id: Mapped[UUID]
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProposalFact(Base):
    """A proposal matching created for a participant: the participant's intake is complete."""

    __tablename__ = "proposal_facts"

    proposal_id: Mapped[UUID] = mapped_column(primary_key=True)
    program_id: Mapped[UUID] = mapped_column(index=True)
    participant_id: Mapped[UUID]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GroupSeatFact(Base):
    """A seat in a group session, booked and possibly released."""

    __tablename__ = "group_seat_facts"

    seat_id: Mapped[UUID] = mapped_column(primary_key=True)
    group_session_id: Mapped[UUID]
    program_id: Mapped[UUID] = mapped_column(index=True)
    person_id: Mapped[UUID]
    starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    from_waitlist: Mapped[bool] = mapped_column(Boolean, default=False)
    booked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    release_reason: Mapped[str | None] = mapped_column(String(30))


class ConsentChange(Base):
    """Every `analytics` consent grant or withdrawal received, in whatever order it arrived."""

    __tablename__ = "analytics_consent_changes"

    person_id: Mapped[UUID] = mapped_column(primary_key=True)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    granted: Mapped[bool] = mapped_column(Boolean)


class ConsentPeriod(Base):
    """A span during which the person's `analytics` consent was granted (`granted_until` null: still is).

    Rebuilt from `analytics_consent_changes` on every change, so events may arrive in any order.
    """

    __tablename__ = "analytics_consent_periods"

    person_id: Mapped[UUID] = mapped_column(primary_key=True)
    granted_from: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    granted_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
