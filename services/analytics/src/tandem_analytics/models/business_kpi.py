"""Business KPI values a program imports (CSV or JSON): aggregates per period and segment, no people."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import CheckConstraint, DateTime, Float, String, func
from sqlalchemy.orm import Mapped, mapped_column

from tandem_analytics.models import Base


class BusinessKpiValue(Base):
    """One value of a business KPI (e.g. `csat`) for a period and a segment of the program.

    `period` is `YYYY-MM` or `YYYY-Qn`; `segment_kind` is `program` (whole program, `segment` = ''),
    `cohort` or `region`. A re-import of the same key replaces the value.
    """

    __tablename__ = "business_kpi_values"
    __table_args__ = (
        CheckConstraint("period ~ '^[0-9]{4}-(0[1-9]|1[0-2]|Q[1-4])$'", name="period_format"),
        CheckConstraint("segment_kind IN ('program', 'cohort', 'region')", name="segment_kind"),
    )

    program_id: Mapped[UUID] = mapped_column(primary_key=True)
    kpi_name: Mapped[str] = mapped_column(String(100), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    segment_kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    segment: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    imported_by: Mapped[str] = mapped_column(String(200))
