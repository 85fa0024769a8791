from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tandem_scheduling.models import Base

if TYPE_CHECKING:
    from tandem_scheduling.models.session import Session


class Engagement(Base):
    """An approved match turned into a schedule: the two people, their hours, the cadence, the SLAs."""

    __tablename__ = "engagements"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    match_id: Mapped[UUID] = mapped_column(unique=True)
    program_id: Mapped[UUID]
    participant_id: Mapped[UUID] = mapped_column(index=True)
    provider_id: Mapped[UUID]
    provider_person_id: Mapped[UUID] = mapped_column(index=True)
    provider_kind: Mapped[str] = mapped_column(String(16))
    track: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | ended
    cadence: Mapped[str] = mapped_column(String(16))
    session_minutes: Mapped[int] = mapped_column(Integer)
    planned_months: Mapped[int] = mapped_column(Integer)
    review_every_weeks: Mapped[int] = mapped_column(Integer)
    participant_timezone: Mapped[str] = mapped_column(String(64))
    participant_working_hours: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    provider_timezone: Mapped[str] = mapped_column(String(64))
    provider_working_hours: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    approved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    sla_clocks: Mapped[list["SlaClock"]] = relationship(back_populates="engagement", lazy="raise")
    sessions: Mapped[list["Session"]] = relationship(back_populates="engagement", lazy="raise")


class SlaClock(Base):
    """A service-level promise with a deadline: met when fulfilled in time, breached (once) when not."""

    __tablename__ = "sla_clocks"
    __table_args__ = (
        UniqueConstraint("engagement_id", "kind", "seq", name="uq_sla_clocks_engagement_id_kind_seq"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    engagement_id: Mapped[UUID] = mapped_column(ForeignKey("engagements.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    # Repeating promises (the next session after each held one, each checkpoint) count up from 1.
    seq: Mapped[int] = mapped_column(Integer, default=0)
    checkpoint_id: Mapped[UUID | None] = mapped_column(ForeignKey("checkpoints.id", ondelete="CASCADE"))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    met_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    breached_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # `next_session_booked`: the end of the held session it counts from (null before migration 0012).
    opened_after: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    engagement: Mapped[Engagement] = relationship(back_populates="sla_clocks", lazy="raise")


class EndedMatch(Base):
    """A match that ended before its approval reached scheduling: a late `MatchApproved` opens nothing."""

    __tablename__ = "ended_matches"

    match_id: Mapped[UUID] = mapped_column(primary_key=True)
    ended_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
