"""Pilot charters, their gate evaluations, mitigations and steering decisions; the program's
project-complexity bands for the matched comparison (issue 16)."""

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Date, DateTime, Float, ForeignKey, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tandem_analytics.models import Base


class Pilot(Base):
    """A time-boxed 24-week pilot of a program: its cohort, sponsor, start and linked transformation KPIs."""

    __tablename__ = "pilots"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    program_id: Mapped[UUID] = mapped_column(index=True)
    sponsor_id: Mapped[UUID]
    start_date: Mapped[date] = mapped_column(Date)
    # [{name, better, segment_kind, segment}]: business KPIs (the program's imports) the pilot must move.
    linked_kpis: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PilotMember(Base):
    """One leader of a pilot's cohort."""

    __tablename__ = "pilot_members"

    pilot_id: Mapped[UUID] = mapped_column(ForeignKey("pilots.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[UUID] = mapped_column(primary_key=True, index=True)


class PilotMeasure(Base):
    """A cohort-level behaviour measurement (a 360 or pulse indicator's mean), baseline or follow-up:
    aggregates only, never a person's answers."""

    __tablename__ = "pilot_measures"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    pilot_id: Mapped[UUID] = mapped_column(ForeignKey("pilots.id", ondelete="CASCADE"), index=True)
    indicator: Mapped[str] = mapped_column(String(100))
    phase: Mapped[str] = mapped_column(String(20))
    mean: Mapped[float] = mapped_column(Float)
    respondents: Mapped[int] = mapped_column(Integer)
    measured_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class GateEvaluation(Base):
    """One evaluation of a gate as of a date: the evidence it saw (suppressed below k) and its verdict."""

    __tablename__ = "gate_evaluations"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    pilot_id: Mapped[UUID] = mapped_column(ForeignKey("pilots.id", ondelete="CASCADE"), index=True)
    gate: Mapped[str] = mapped_column(String(20))
    as_of: Mapped[date] = mapped_column(Date)
    verdict: Mapped[str] = mapped_column(String(10))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONB)
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    evaluated_by: Mapped[str] = mapped_column(String(200))
    evaluated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PilotMitigation(Base):
    """A mitigation the program recorded for a pilot (an amber verdict needs one). Text stays here."""

    __tablename__ = "pilot_mitigations"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    pilot_id: Mapped[UUID] = mapped_column(ForeignKey("pilots.id", ondelete="CASCADE"), index=True)
    gate: Mapped[str | None] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    recorded_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PilotDecision(Base):
    """The steering committee's decision at a gate: who, when and why (the rationale stays here)."""

    __tablename__ = "pilot_decisions"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    pilot_id: Mapped[UUID] = mapped_column(ForeignKey("pilots.id", ondelete="CASCADE"), index=True)
    gate: Mapped[str] = mapped_column(String(20))
    decision: Mapped[str] = mapped_column(String(30))
    rationale: Mapped[str] = mapped_column(Text)
    evaluation_id: Mapped[UUID | None] = mapped_column(ForeignKey("gate_evaluations.id", ondelete="SET NULL"))
    decided_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ComplexityBand(Base):
    """The program-defined project-complexity band of a person (a matching covariate of the comparison)."""

    __tablename__ = "complexity_bands"

    program_id: Mapped[UUID] = mapped_column(primary_key=True)
    person_id: Mapped[UUID] = mapped_column(primary_key=True, index=True)
    band: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
