from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import DateTime, ForeignKey, Integer, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tandem_scheduling.models import Base


class WorkingAgreement(Base):
    """The eight-clause agreement of an engagement; any change of text needs both signatures again."""

    __tablename__ = "working_agreements"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    engagement_id: Mapped[UUID] = mapped_column(ForeignKey("engagements.id", ondelete="CASCADE"), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    clauses: Mapped[dict[str, str]] = mapped_column(JSONB)
    participant_signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    provider_signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    @property
    def signed(self) -> bool:
        """Both parties signed the current version."""
        return self.participant_signed_at is not None and self.provider_signed_at is not None
