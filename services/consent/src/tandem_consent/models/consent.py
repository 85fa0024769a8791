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
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tandem_consent.models import Base
from tandem_consent.models.purpose import Purpose


class ConsentState(Base):
    """A person's current decision for one purpose; `sequence` counts the ledger records behind it."""

    __tablename__ = "consent_states"
    __table_args__ = (
        UniqueConstraint("person_id", "purpose_id"),
        CheckConstraint("granted = (notice_version IS NOT NULL)", name="granted_has_notice"),
        Index("ix_consent_states_purpose_id_person_id", "purpose_id", "person_id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    person_id: Mapped[UUID] = mapped_column(index=True)
    purpose_id: Mapped[UUID] = mapped_column(ForeignKey("purposes.id", ondelete="RESTRICT"))
    granted: Mapped[bool] = mapped_column(default=False)
    notice_version: Mapped[int | None]
    fields: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    granted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sequence: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    @property
    def latest_decision(self) -> datetime | None:
        return max((t for t in (self.granted_at, self.withdrawn_at) if t is not None), default=None)


class ConsentRecord(Base):
    """One entry of the append-only consent ledger: a grant or a withdrawal, with its evidence."""

    __tablename__ = "consent_records"
    __table_args__ = (
        UniqueConstraint("person_id", "purpose_id", "sequence"),
        CheckConstraint("action IN ('granted', 'withdrawn')", name="action"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    person_id: Mapped[UUID] = mapped_column(index=True)
    purpose_id: Mapped[UUID] = mapped_column(ForeignKey("purposes.id", ondelete="RESTRICT"))
    sequence: Mapped[int]
    action: Mapped[str] = mapped_column(String(16))
    notice_version: Mapped[int | None]
    fields: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    method: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    recorded_by: Mapped[str] = mapped_column(String(200))
    client_id: Mapped[str] = mapped_column(String(200))
    on_behalf: Mapped[bool]
    reason: Mapped[str | None] = mapped_column(Text)
    evidence_reference: Mapped[str | None] = mapped_column(String(500))
    # Request details (user agent, locale, form id); scrubbed when the person asks for erasure.
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)

    purpose: Mapped[Purpose] = relationship(lazy="raise")

    @property
    def purpose_key(self) -> str:
        return self.purpose.key
