from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import (
    ARRAY,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tandem_consent.models import Base


class DataSubjectRequest(Base):
    """An access or erasure request, fulfilled when every expected service has sent its receipt."""

    __tablename__ = "data_subject_requests"
    __table_args__ = (
        CheckConstraint("kind IN ('access', 'erasure')", name="kind"),
        CheckConstraint("status IN ('open', 'completed')", name="status"),
        CheckConstraint("(status = 'completed') = (completed_at IS NOT NULL)", name="completed_at"),
        Index("ix_data_subject_requests_status_due_at", "status", "due_at"),
        Index(
            "uq_data_subject_requests_open",
            "person_id",
            "kind",
            unique=True,
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    person_id: Mapped[UUID] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    expected_services: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    requested_by: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When `DataSubjectRequestOpened` last went out, and how often (opening, then each re-dispatch).
    dispatched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    dispatches: Mapped[int] = mapped_column(server_default=text("1"))

    receipts: Mapped[list["DataSubjectReceipt"]] = relationship(
        lazy="raise", order_by="DataSubjectReceipt.service", passive_deletes=True
    )


class DataSubjectReceipt(Base):
    """What one service did for a request: the records it erased or the data it exported."""

    __tablename__ = "data_subject_receipts"
    __table_args__ = (
        UniqueConstraint("request_id", "service"),
        CheckConstraint("outcome IN ('completed', 'nothing_held')", name="outcome"),
        CheckConstraint("records >= 0", name="records"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    request_id: Mapped[UUID] = mapped_column(ForeignKey("data_subject_requests.id", ondelete="CASCADE"))
    service: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))
    records: Mapped[int]
    export: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    detail: Mapped[str | None] = mapped_column(Text)
    submitted_by: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
