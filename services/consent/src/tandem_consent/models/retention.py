from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import CheckConstraint, DateTime, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tandem_consent.models import Base


class RetentionPolicy(Base):
    """How long one category of personal data is kept, who holds it, and what happens after."""

    __tablename__ = "retention_policies"
    __table_args__ = (
        CheckConstraint("period_days > 0", name="period_positive"),
        CheckConstraint("action IN ('delete', 'anonymize')", name="action"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    category: Mapped[str] = mapped_column(String(64), unique=True)
    service: Mapped[str] = mapped_column(String(32))
    period_days: Mapped[int]
    action: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class RetentionRun(Base):
    """One purge: the cutoff each policy gave and what was removed here (other services get events)."""

    __tablename__ = "retention_runs"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    dry_run: Mapped[bool]
    started_by: Mapped[str] = mapped_column(String(200))
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )
