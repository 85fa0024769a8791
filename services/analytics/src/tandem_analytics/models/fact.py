"""Facts copied from other services' domain events: the analytics store's own view of the program."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tandem_analytics.models import Base


class ProviderFact(Base):
    """A coach or mentor registered in a program, with the caseload they can carry."""

    __tablename__ = "provider_facts"

    provider_id: Mapped[UUID] = mapped_column(primary_key=True)
    person_id: Mapped[UUID]
    program_id: Mapped[UUID] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(20))
    capacity: Mapped[int] = mapped_column(Integer)
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Set by `ProviderCapacityChanged`: from then on the newest change wins over the registration.
    capacity_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MatchFact(Base):
    """A match, active from its approval until it ends.

    Track and approval time are nullable: an end may be applied before the approval it ends, and
    that row waits (counted as ended, never as active) for MatchApproved to fill them in.
    """

    __tablename__ = "match_facts"

    match_id: Mapped[UUID] = mapped_column(primary_key=True)
    program_id: Mapped[UUID] = mapped_column(index=True)
    participant_id: Mapped[UUID]
    provider_id: Mapped[UUID]
    provider_kind: Mapped[str] = mapped_column(String(20))
    track: Mapped[str | None] = mapped_column(String(40))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_reason: Mapped[str | None] = mapped_column(String(20))


class EngagementFact(Base):
    """An engagement scheduling opened for a match, with its kickoff SLA."""

    __tablename__ = "engagement_facts"

    engagement_id: Mapped[UUID] = mapped_column(primary_key=True)
    match_id: Mapped[UUID] = mapped_column(index=True)
    program_id: Mapped[UUID] = mapped_column(index=True)
    participant_id: Mapped[UUID]
    provider_id: Mapped[UUID]
    kickoff_due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SessionFact(Base):
    """A booked session. Booking fields are nullable: a cancellation may be applied before its booking."""

    __tablename__ = "session_facts"

    session_id: Mapped[UUID] = mapped_column(primary_key=True)
    engagement_id: Mapped[UUID] = mapped_column(index=True)
    match_id: Mapped[UUID | None] = mapped_column(index=True)
    participant_id: Mapped[UUID | None]
    provider_id: Mapped[UUID | None]
    kind: Mapped[str | None] = mapped_column(String(20))
    starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    booked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SlaFact(Base):
    """A service-level breach reported by scheduling (one row per engagement and SLA)."""

    __tablename__ = "sla_facts"

    engagement_id: Mapped[UUID] = mapped_column(primary_key=True)
    sla: Mapped[str] = mapped_column(String(40), primary_key=True)
    match_id: Mapped[UUID]
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    breached_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
