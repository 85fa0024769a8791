"""Survey answers pushed by a survey platform (signed like vendor telemetry): scores, never free text.

Both kinds are kept only for respondents whose `analytics` consent is granted when the answer arrives,
and deleted when it is withdrawn or the person is erased (docs/analytics.md, "Surveys").
"""

from datetime import datetime
from uuid import UUID

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, SmallInteger, String, func
from sqlalchemy.orm import Mapped, mapped_column

from tandem_analytics.models import Base


class SurveyMessage(Base):
    """The replay guard: one signed message (webhook id) per sender is applied once."""

    __tablename__ = "survey_messages"

    vendor_id: Mapped[UUID] = mapped_column(ForeignKey("vendors.id", ondelete="RESTRICT"), primary_key=True)
    webhook_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class NpsResponse(Base):
    """A participant's answer to "how likely are you to recommend..." (0-10) after a cohort.

    One answer per (program, cohort, respondent): a later answer (by `responded_at`) replaces it.
    NPS = % promoters (9-10) - % detractors (0-6) over the answers counted.
    """

    __tablename__ = "nps_responses"
    __table_args__ = (CheckConstraint("score BETWEEN 0 AND 10", name="score_range"),)

    program_id: Mapped[UUID] = mapped_column(primary_key=True)
    cohort: Mapped[str] = mapped_column(String(100), primary_key=True)
    respondent_id: Mapped[UUID] = mapped_column(primary_key=True, index=True)
    score: Mapped[int] = mapped_column(SmallInteger)
    responded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    vendor_id: Mapped[UUID] = mapped_column(ForeignKey("vendors.id", ondelete="RESTRICT"))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CoachingAdoptionReport(Base):
    """A people manager's quarterly self-report: "I coach my team routinely" (yes/no).

    Seed 000's KPI is a rate (28 % -> 60 %): the share of reporting managers answering yes. One
    report per (program, manager, quarter); a later one (by `responded_at`) replaces it.
    """

    __tablename__ = "coaching_adoption_reports"
    __table_args__ = (CheckConstraint("quarter ~ '^[0-9]{4}-Q[1-4]$'", name="quarter_format"),)

    program_id: Mapped[UUID] = mapped_column(primary_key=True)
    quarter: Mapped[str] = mapped_column(String(7), primary_key=True)
    respondent_id: Mapped[UUID] = mapped_column(primary_key=True, index=True)
    adopted: Mapped[bool] = mapped_column(Boolean)
    responded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    vendor_id: Mapped[UUID] = mapped_column(ForeignKey("vendors.id", ondelete="RESTRICT"))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
