from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import DateTime, ForeignKey, SmallInteger, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from tandem_analytics.models import Base


class SessionTelemetry(Base):
    """One vendor webhook message about a session: structured indicators only, never notes."""

    __tablename__ = "session_telemetry"
    __table_args__ = (
        # The replay guard: a webhook id is stored once per vendor, whoever races to insert it.
        UniqueConstraint("vendor_id", "webhook_id", name="uq_session_telemetry_vendor_id_webhook_id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    vendor_id: Mapped[UUID] = mapped_column(ForeignKey("vendors.id", ondelete="RESTRICT"))
    webhook_id: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    vendor_session_id: Mapped[str] = mapped_column(String(200))
    session_id: Mapped[UUID | None]
    engagement_id: Mapped[UUID | None]
    match_id: Mapped[UUID | None]
    participant_id: Mapped[UUID]
    provider_id: Mapped[UUID]
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    duration_minutes: Mapped[int] = mapped_column(SmallInteger)
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class VendorSessionOutcome(Base):
    """The latest outcome (`session.completed` / `session.no_show`) of one vendor session: a copy of
    that telemetry row, kept by the ingest statement (later by occurred_at, then received_at, wins)."""

    __tablename__ = "vendor_session_outcomes"

    vendor_id: Mapped[UUID] = mapped_column(primary_key=True)
    vendor_session_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    participant_id: Mapped[UUID]
    provider_id: Mapped[UUID]
    session_id: Mapped[UUID | None]
    engagement_id: Mapped[UUID | None]
    match_id: Mapped[UUID | None]
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    telemetry_id: Mapped[UUID]
