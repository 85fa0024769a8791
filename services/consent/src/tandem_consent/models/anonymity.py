from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import ARRAY, CheckConstraint, DateTime, ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tandem_consent.models import Base
from tandem_consent.models.purpose import Purpose


class AnonymityRule(Base):
    """k-anonymity for a purpose's aggregates: the smallest group size and the allowed group-by keys."""

    __tablename__ = "anonymity_rules"
    __table_args__ = (CheckConstraint("min_group_size >= 2", name="k_at_least_two"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    purpose_id: Mapped[UUID] = mapped_column(ForeignKey("purposes.id", ondelete="CASCADE"), unique=True)
    min_group_size: Mapped[int]
    quasi_identifiers: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    purpose: Mapped[Purpose] = relationship(lazy="raise")

    @property
    def purpose_key(self) -> str:
        return self.purpose.key
