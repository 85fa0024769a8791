from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import ARRAY, DateTime, ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column

from tandem_consent.models import Base


class AnonymityRule(Base):
    """k-anonymity for a purpose's aggregates: the smallest group size and the allowed group-by keys."""

    __tablename__ = "anonymity_rules"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    purpose_id: Mapped[UUID] = mapped_column(ForeignKey("purposes.id", ondelete="CASCADE"), unique=True)
    min_group_size: Mapped[int]
    quasi_identifiers: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
