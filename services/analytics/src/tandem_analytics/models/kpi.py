"""A program's KPI settings (target overrides, start date) and the stored KPI snapshots."""

from datetime import date, datetime
from uuid import UUID, uuid4

from sqlalchemy import BigInteger, Date, DateTime, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tandem_analytics.models import Base


class KpiProgram(Base):
    """When a program started (targets by date are counted from it) and its default amber band."""

    __tablename__ = "kpi_programs"

    program_id: Mapped[UUID] = mapped_column(primary_key=True)
    started_on: Mapped[date | None] = mapped_column(Date)
    amber_band: Mapped[float | None] = mapped_column(Float)
    # The business KPI this program is judged on (a `business_kpi_values.kpi_name`, e.g. `csat`).
    business_kpi: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class KpiTarget(Base):
    """A program's override of one KPI's seed baseline, targets or amber band (null: the default)."""

    __tablename__ = "kpi_targets"

    program_id: Mapped[UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    baseline: Mapped[float | None] = mapped_column(Float)
    target_6m: Mapped[float | None] = mapped_column(Float)
    target_12m: Mapped[float | None] = mapped_column(Float)
    amber_band: Mapped[float | None] = mapped_column(Float)


class KpiSnapshot(Base):
    """Every KPI of one program (or all) and cohort (or all), as computed at `taken_at`."""

    __tablename__ = "kpi_snapshots"
    __table_args__ = (Index("ix_kpi_snapshots_program_taken", "program_id", "taken_at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    program_id: Mapped[UUID | None]
    cohort: Mapped[str | None] = mapped_column(String(40))
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    trigger: Mapped[str] = mapped_column(String(20))  # scheduled / on_demand


class KpiSnapshotValue(Base):
    """One KPI in a snapshot; program, cohort and time repeated so a history is one index scan."""

    __tablename__ = "kpi_snapshot_values"
    __table_args__ = (Index("ix_kpi_snapshot_values_series", "program_id", "name", "cohort", "taken_at"),)

    snapshot_id: Mapped[UUID] = mapped_column(
        ForeignKey("kpi_snapshots.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    program_id: Mapped[UUID | None]
    cohort: Mapped[str | None] = mapped_column(String(40))
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    value: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20))
    target: Mapped[float | None] = mapped_column(Float)
    baseline: Mapped[float | None] = mapped_column(Float)
    # People behind the figure: never published, kept for the differencing rule between snapshots.
    population: Mapped[int | None] = mapped_column(Integer)


class KpiPublication(Base):
    """A population a KPI series has been published with (live read or snapshot): the differencing
    rule between two moments compares every new figure with all of them. Counts only, no people."""

    __tablename__ = "kpi_publications"

    series: Mapped[str] = mapped_column(String(100), primary_key=True)  # "<program id or all>/<cohort>"
    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    population: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Who they were (a sum of hashes, not reversible; None: published before fingerprints were kept).
    members: Mapped[int | None] = mapped_column(BigInteger)
    first_published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
