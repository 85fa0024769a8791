"""The 24-week pilot (seed 004 §7) as pure rules: its timeline, the evidence a gate looks at, and the
verdict. No session, no await: the repository gathers the numbers, this decides what they mean.

Each gate checks criteria; a criterion is `met`, `partial` (progress short of the bar), `unmet`, or
`missing` (no data, or suppressed below k). The seed's decision rules:
green = every criterion met; amber = partial progress with mitigations recorded (every criterion short
of its bar is `partial`, none `unmet` or `missing`, and a mitigation was recorded by the date);
red = insufficient evidence to continue (anything else).
"""

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Literal

Gate = Literal[
    "week_2",
    "week_4",
    "week_6",
    "week_9",
    "week_12",
    "week_15",
    "week_16",
    "week_19",
    "week_24",
    "day_60",
    "day_120",
]
Verdict = Literal["green", "amber", "red"]
Standing = Literal["met", "partial", "unmet", "missing"]

COHORT_MIN, COHORT_MAX = 20, 40
PILOT_WEEKS = 24
ATTENDANCE_FLOOR = 0.8
INTAKE_BAR = 0.9
REASSIGNMENT_CEILING = 0.1
# Telemetry counts as flowing when it arrived within this window before the gate, for this share of
# the matched cohort.
TELEMETRY_WINDOW_DAYS = 28
TELEMETRY_BAR = 0.8
# Below these, a rate is no progress at all (amber needs progress on every criterion it fails).
PARTIAL = {"rate": 0.5, "attendance": 0.6, "reassignment": 0.2}


@dataclass(frozen=True)
class GateSpec:
    gate: Gate
    days: int
    title: str


GATES: dict[str, GateSpec] = {
    spec.gate: spec
    for spec in (
        GateSpec("week_2", 14, "Cohort size reached and 90% intake completion"),
        GateSpec("week_4", 28, "All matches approved and working agreements signed"),
        GateSpec("week_6", 42, "At least 80% session attendance"),
        GateSpec("day_60", 60, "Early signal at 60 days: attendance and behaviour lift (directional)"),
        GateSpec("week_9", 63, "Less than 10% reassignment"),
        GateSpec("week_12", 84, "Decision gate 1: attendance and early behaviour lift"),
        GateSpec("week_15", 105, "At least one sponsor action logged per mentee"),
        GateSpec("week_16", 112, "Session-level telemetry flowing to analytics"),
        GateSpec("day_120", 120, "Early signal at 120 days: attendance and behaviour lift (directional)"),
        GateSpec("week_19", 133, "Midpoint review: attendance, reassignment and behaviour lift"),
        GateSpec(
            "week_24", 168, "Go/no-go: attendance, behaviour lift and a linked transformation KPI improved"
        ),
    )
}


def gate_date(start: date, gate: str) -> date:
    return start + timedelta(days=GATES[gate].days)


def timeline(start: date) -> list[tuple[GateSpec, date]]:
    """Every gate with its date, in order."""
    return sorted(((spec, gate_date(start, spec.gate)) for spec in GATES.values()), key=lambda p: p[1])


def due_gates(start: date, today: date) -> list[str]:
    """The gates whose date has come by `today`."""
    return [spec.gate for spec, when in timeline(start) if when <= today]


@dataclass(frozen=True)
class Evidence:
    """What the data says about a pilot as of a date. Counts of people are None when suppressed (< k)
    or unknown; rates are None when their denominator is."""

    cohort_size: int
    members_counted: int | None = None
    intake_completed: int | None = None
    matched: int | None = None
    agreements_signed: int | None = None
    sessions_due: int | None = None
    sessions_attended: int | None = None
    reassigned: int | None = None
    mentees: int | None = None
    mentees_with_sponsor_action: int | None = None
    telemetry_people: int | None = None
    behaviour_lift: float | None = None
    kpis_improved: int | None = None
    kpis_measured: int | None = None
    mitigations: int = 0

    def rates(self) -> dict[str, float | None]:
        return {
            "intake_rate": _rate(self.intake_completed, self.members_counted),
            "matched_rate": _rate(self.matched, self.members_counted),
            "agreement_rate": _rate(self.agreements_signed, self.matched),
            "attendance_rate": _rate(self.sessions_attended, self.sessions_due),
            "reassignment_rate": _rate(self.reassigned, self.matched),
            "sponsor_action_coverage": _rate(self.mentees_with_sponsor_action, self.mentees),
            "telemetry_coverage": _rate(self.telemetry_people, self.matched),
        }

    def as_numbers(self) -> dict[str, float | None]:
        """The evidence as `{name: number | null}` (what is stored and sent in `GateEvaluated`)."""
        numbers: dict[str, float | None] = dict(asdict(self))
        return numbers | self.rates()


def _rate(numerator: int | None, denominator: int | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def suppress(evidence: Evidence, k: int) -> Evidence:
    """Counts of people below k become None (and so do the rates built on them): a small cell must not
    single anyone out. The cohort size is the charter's own figure and stays."""

    def people(n: int | None) -> int | None:
        return n if n is not None and n >= k else None

    def part(n: int | None, whole: int | None) -> int | None:
        # A gate reads "23 of 24": a part is shown when its whole is (a group of k or more), so the
        # figure about a small whole cannot be rebuilt from its parts.
        return n if whole is not None else None

    counted = people(evidence.members_counted)
    matched = part(evidence.matched, counted)
    mentees = people(evidence.mentees)
    return Evidence(
        cohort_size=evidence.cohort_size,
        members_counted=counted,
        intake_completed=part(evidence.intake_completed, counted),
        matched=matched,
        agreements_signed=part(evidence.agreements_signed, matched),
        sessions_due=evidence.sessions_due if counted is not None else None,
        sessions_attended=evidence.sessions_attended if counted is not None else None,
        reassigned=part(evidence.reassigned, matched),
        mentees=mentees,
        mentees_with_sponsor_action=part(evidence.mentees_with_sponsor_action, mentees),
        telemetry_people=part(evidence.telemetry_people, matched),
        behaviour_lift=evidence.behaviour_lift,
        kpis_improved=evidence.kpis_improved,
        kpis_measured=evidence.kpis_measured,
        mitigations=evidence.mitigations,
    )


def period_start(period: str) -> date:
    """`YYYY-MM` or `YYYY-Qn` (the business-KPI import's periods) -> its first day."""
    year, part = period.split("-")
    month = (int(part[1]) - 1) * 3 + 1 if part.startswith("Q") else int(part)
    return date(int(year), month, 1)


def period_end(period: str) -> date:
    """The first day after the period."""
    first = period_start(period)
    months = 3 if "Q" in period else 1
    month = first.month - 1 + months
    return date(first.year + month // 12, month % 12 + 1, 1)


def kpi_improved(values: Mapping[str, float], *, start: date, as_of: date, better: str) -> bool | None:
    """Whether a business KPI moved the right way: the latest period begun since the pilot started (by
    `as_of`) against the baseline, the latest period that ended by the start. None without both."""
    before = [p for p in values if period_end(p) <= start]
    during = [p for p in values if start <= period_start(p) <= as_of]
    if not before or not during:
        return None
    baseline = values[max(before, key=period_start)]
    current = values[max(during, key=period_start)]
    return current > baseline if better == "higher" else current < baseline


@dataclass(frozen=True)
class Criterion:
    name: str
    standing: Standing
    value: float | None
    bar: str


def at_least(name: str, value: float | None, bar: float, partial: float, *, label: str) -> Criterion:
    if value is None:
        return Criterion(name, "missing", None, label)
    standing: Standing = "met" if value >= bar else "partial" if value >= partial else "unmet"
    return Criterion(name, standing, value, label)


def below(name: str, value: float | None, ceiling: float, partial: float, *, label: str) -> Criterion:
    if value is None:
        return Criterion(name, "missing", None, label)
    standing: Standing = "met" if value < ceiling else "partial" if value < partial else "unmet"
    return Criterion(name, standing, value, label)


def _cohort_size(e: Evidence) -> Criterion:
    ok = COHORT_MIN <= e.cohort_size <= COHORT_MAX
    return Criterion("cohort_size", "met" if ok else "unmet", e.cohort_size, f"{COHORT_MIN}-{COHORT_MAX}")


def _attendance(e: Evidence) -> Criterion:
    rate = e.rates()["attendance_rate"]
    return at_least("attendance_rate", rate, ATTENDANCE_FLOOR, PARTIAL["attendance"], label=">= 0.8")


def _behaviour(e: Evidence) -> Criterion:
    lift = e.behaviour_lift
    if lift is None:
        return Criterion("behaviour_lift", "missing", None, "> 0")
    return Criterion(
        "behaviour_lift", "met" if lift > 0 else "partial" if lift == 0 else "unmet", lift, "> 0"
    )


def _reassignment(e: Evidence) -> Criterion:
    rate = e.rates()["reassignment_rate"]
    return below("reassignment_rate", rate, REASSIGNMENT_CEILING, PARTIAL["reassignment"], label="< 0.1")


def _kpi_improved(e: Evidence) -> Criterion:
    if not e.kpis_measured or e.kpis_improved is None:
        return Criterion("linked_kpis_improved", "missing", None, ">= 1")
    # Measured but not (yet) improved is partial: lagging KPIs move last, and attendance with a
    # behaviour lift is the progress an amber verdict is about.
    standing: Standing = "met" if e.kpis_improved >= 1 else "partial"
    return Criterion("linked_kpis_improved", standing, e.kpis_improved, ">= 1")


def _rate_criterion(name: str, bar: float, label: str) -> Callable[[Evidence], Criterion]:
    def check(e: Evidence) -> Criterion:
        return at_least(name, e.rates()[name], bar, PARTIAL["rate"], label=label)

    return check


CRITERIA: Mapping[str, tuple[Callable[[Evidence], Criterion], ...]] = {
    "week_2": (_cohort_size, _rate_criterion("intake_rate", INTAKE_BAR, ">= 0.9")),
    "week_4": (_rate_criterion("matched_rate", 1.0, "= 1"), _rate_criterion("agreement_rate", 1.0, "= 1")),
    "week_6": (_attendance,),
    "week_9": (_reassignment,),
    "week_12": (_attendance, _behaviour),
    "week_15": (_rate_criterion("sponsor_action_coverage", 1.0, "= 1"),),
    "week_16": (_rate_criterion("telemetry_coverage", TELEMETRY_BAR, ">= 0.8"),),
    "week_19": (_attendance, _reassignment, _behaviour),
    "week_24": (_attendance, _behaviour, _kpi_improved),
    "day_60": (_attendance, _behaviour),
    "day_120": (_attendance, _behaviour),
}


@dataclass(frozen=True)
class Outcome:
    gate: str
    verdict: Verdict
    criteria: list[Criterion] = field(default_factory=list)


def decide(criteria: list[Criterion], *, mitigations: int) -> Verdict:
    """The seed's decision rule over a gate's criteria."""
    standings = {c.standing for c in criteria}
    if standings == {"met"}:
        return "green"
    if standings <= {"met", "partial"} and mitigations > 0:
        return "amber"
    return "red"


def evaluate(gate: str, evidence: Evidence) -> Outcome:
    criteria = [check(evidence) for check in CRITERIA[gate]]
    return Outcome(gate, decide(criteria, mitigations=evidence.mitigations), criteria)
