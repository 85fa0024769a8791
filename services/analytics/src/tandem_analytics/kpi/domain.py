"""KPI formulas: plain functions over aggregate counts, with k-anonymity and zero-denominator rules.

Baselines and targets come from the seed KPI table (000) and the seed SLAs (004). The repository
hands in counts only, never rows about people; a KPI that describes fewer than `k` people (but more
than none) is suppressed, so its value, numerator and denominator are all withheld.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Better = Literal["higher", "lower"]
Status = Literal["ok", "insufficient_data", "suppressed"]


@dataclass(frozen=True)
class ProgramCounts:
    """Aggregates over one program's stored facts (or all programs)."""

    active_coaches: int = 0
    active_coachees: int = 0
    active_coach_matches: int = 0
    coach_capacity: int = 0
    sessions_completed: int = 0
    sessions_no_show: int = 0
    session_participants: int = 0
    due_sessions_booked: int = 0
    due_sessions_attended: int = 0
    due_session_participants: int = 0
    slas_met: int = 0
    slas_breached: int = 0
    sla_participants: int = 0
    first_session_days_total: float = 0.0
    matches_with_first_session: int = 0
    first_session_participants: int = 0


@dataclass(frozen=True)
class Measure:
    numerator: float
    denominator: float
    population: int  # distinct people the figure is about


@dataclass(frozen=True)
class KpiDefinition:
    name: str
    title: str
    unit: str
    better: Better
    baseline: float | None
    target: float | None
    formula: str
    measure: Callable[[ProgramCounts], Measure]


@dataclass(frozen=True)
class KpiOutcome:
    definition: KpiDefinition
    status: Status
    value: float | None
    numerator: float | None
    denominator: float | None

    @property
    def meets_target(self) -> bool | None:
        target = self.definition.target
        if self.value is None or target is None:
            return None
        return self.value >= target if self.definition.better == "higher" else self.value <= target


def evaluate(definition: KpiDefinition, measure: Measure, *, k: int) -> KpiOutcome:
    """Suppressed below k people; insufficient data on a zero denominator; otherwise the ratio."""
    if 0 < measure.population < k:
        return KpiOutcome(definition, "suppressed", None, None, None)
    if measure.denominator <= 0:
        return KpiOutcome(definition, "insufficient_data", None, measure.numerator, measure.denominator)
    value = round(measure.numerator / measure.denominator, 4)
    return KpiOutcome(definition, "ok", value, measure.numerator, measure.denominator)


def coach_to_coachee_ratio(c: ProgramCounts) -> Measure:
    return Measure(c.active_coachees, c.active_coaches, population=c.active_coachees)


def coach_utilization(c: ProgramCounts) -> Measure:
    return Measure(c.active_coach_matches, c.coach_capacity, population=c.active_coachees)


def session_completion_rate(c: ProgramCounts) -> Measure:
    return Measure(
        c.sessions_completed, c.sessions_completed + c.sessions_no_show, population=c.session_participants
    )


def attendance_rate(c: ProgramCounts) -> Measure:
    return Measure(c.due_sessions_attended, c.due_sessions_booked, population=c.due_session_participants)


def sla_adherence(c: ProgramCounts) -> Measure:
    return Measure(c.slas_met, c.slas_met + c.slas_breached, population=c.sla_participants)


def time_to_first_session(c: ProgramCounts) -> Measure:
    return Measure(
        round(c.first_session_days_total, 4),
        c.matches_with_first_session,
        population=c.first_session_participants,
    )


DEFINITIONS: dict[str, KpiDefinition] = {
    d.name: d
    for d in (
        KpiDefinition(
            name="coach_to_coachee_ratio",
            title="Coach to coachee ratio",
            unit="coachees per coach",
            better="lower",
            baseline=25,
            target=15,
            formula="coachees / coaches in active coaching matches, not ended (seed 1:25 -> 1:15)",
            measure=coach_to_coachee_ratio,
        ),
        KpiDefinition(
            name="coach_utilization",
            title="Coach utilization rate",
            unit="fraction",
            better="higher",
            baseline=0.40,
            target=0.70,
            formula="active coaching matches (approved, not ended) / total registered coach capacity",
            measure=coach_utilization,
        ),
        KpiDefinition(
            name="session_completion_rate",
            title="Session completion rate",
            unit="fraction",
            better="higher",
            baseline=None,
            target=None,
            formula="completed / (completed + no-show), latest vendor outcome per session, sessions due",
            measure=session_completion_rate,
        ),
        KpiDefinition(
            name="attendance_rate",
            title="Attendance rate",
            unit="fraction",
            better="higher",
            baseline=None,
            target=0.80,
            formula="booked sessions due (not cancelled) with a completed outcome / booked sessions due",
            measure=attendance_rate,
        ),
        KpiDefinition(
            name="sla_adherence",
            title="Kickoff SLA adherence",
            unit="fraction",
            better="higher",
            baseline=None,
            target=None,
            formula="engagements with kickoff booked by its due time / (those + engagements with a breach)",
            measure=sla_adherence,
        ),
        KpiDefinition(
            name="time_to_first_session",
            title="Time to first session",
            unit="days",
            better="lower",
            baseline=None,
            target=7,
            formula="sum over matches of (first session start - approval) in days / matches with a session",
            measure=time_to_first_session,
        ),
    )
}


def compute(counts: ProgramCounts, *, k: int) -> list[KpiOutcome]:
    return [evaluate(d, d.measure(counts), k=k) for d in DEFINITIONS.values()]
