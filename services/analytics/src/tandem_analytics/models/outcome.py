from datetime import datetime
from uuid import UUID

from sqlalchemy import DateTime, Float, Integer
from sqlalchemy.orm import Mapped, mapped_column

from tandem_analytics.models import Base


class ProviderOutcome(Base):
    """The outcomes last sent to matching for a provider (`ProviderOutcomesUpdated`): a new
    computation is sent only when it differs from this row."""

    __tablename__ = "provider_outcomes"

    provider_id: Mapped[UUID] = mapped_column(primary_key=True)
    program_id: Mapped[UUID]
    sessions_completed: Mapped[int] = mapped_column(Integer)
    sessions_no_show: Mapped[int] = mapped_column(Integer)
    completion_rate: Mapped[float | None] = mapped_column(Float)
    rating_median: Mapped[float | None] = mapped_column(Float)
    rating_count: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
