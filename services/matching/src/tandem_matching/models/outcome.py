from datetime import datetime
from uuid import UUID

from sqlalchemy import DateTime, Float, Integer
from sqlalchemy.orm import Mapped, mapped_column

from tandem_matching.models import Base


class ProviderOutcome(Base):
    """What vendor telemetry says about a provider (analytics' `ProviderOutcomesUpdated`), the newest
    computation kept. The continuing-eligibility gate reads it instead of the typed-in profile numbers."""

    __tablename__ = "provider_outcomes"

    provider_id: Mapped[UUID] = mapped_column(primary_key=True)
    program_id: Mapped[UUID]
    sessions_completed: Mapped[int] = mapped_column(Integer)
    sessions_no_show: Mapped[int] = mapped_column(Integer)
    completion_rate: Mapped[float | None] = mapped_column(Float)
    rating_median: Mapped[float | None] = mapped_column(Float)
    rating_count: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
