from datetime import date, datetime
from uuid import UUID, uuid4

from sqlalchemy import Date, DateTime, ForeignKey, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tandem_matching.models import Base


class CalibrationRecord(Base):
    """A coach's calibration review as held: the panel (person ids), the date, the LMS evidence behind it
    and, when the panel scored, its rubric scores. The latest one counts as the calibration review."""

    __tablename__ = "calibration_records"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    provider_id: Mapped[UUID] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), index=True)
    program_id: Mapped[UUID]
    held_on: Mapped[date] = mapped_column(Date)
    panel: Mapped[list[str]] = mapped_column(JSONB)
    evidence_ids: Mapped[list[str]] = mapped_column(JSONB)
    scores: Mapped[list[dict[str, int]]] = mapped_column(JSONB, default=list)
    recorded_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
