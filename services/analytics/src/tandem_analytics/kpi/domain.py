"""The KPI catalog and its rules: formulas over aggregate counts, targets by date, status bands,
k-anonymity and the differencing rules. Plain functions, no database.

Baselines and targets come from the seed KPI table (000 §1) where it gives them, and from seed 004's
pilot gates and SLAs otherwise (docs/analytics.md, "KPI catalog"). A program may override any of
them (`kpi_targets`). The repository hands in counts only, never rows about people.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Generic, Literal, TypeVar
from uuid import UUID

Direction = Literal["higher", "lower"]
KpiType = Literal["operational", "experience", "leading", "lagging"]
Frequency = Literal["monthly", "quarterly", "annually", "after_cohort"]
Status = Literal["green", "amber", "red", "insufficient_data", "suppressed"]

PartKey = TypeVar("PartKey", UUID, str)  # a program id (parts of all programs) or a cohort label

DEFAULT_AMBER_BAND = 0.10
SURVEY_K = 10  # survey-derived figures sit next to free-text-adjacent answers: a larger crowd
DAYS_PER_MONTH = 365.25 / 12
FREQUENCY_DAYS: dict[Frequency, int] = {"monthly": 30, "quarterly": 91, "annually": 365, "after_cohort": 91}


@dataclass(frozen=True)
class KpiDefinition:
    name: str
    title: str
    type: KpiType
    unit: str
    direction: Direction
    baseline: float | None
    target_6m: float | None
    target_12m: float | None
    frequency: Frequency
    owner: str
    source: str
    formula: str
    survey_derived: bool = False
    # False for figures imported as aggregates (the business KPI): no people behind them here.
    about_people: bool = True


@dataclass(frozen=True)
class Targets:
    """A KPI's baseline, targets and amber band in force for one program (seed defaults + overrides)."""

    baseline: float | None
    target_6m: float | None
    target_12m: float | None
    amber_band: float = DEFAULT_AMBER_BAND


@dataclass(frozen=True)
class Measure:
    """What the repository counted for one KPI. `value` is given when it is not a ratio (a median, an
    imported figure); `population` is the number of distinct people behind it (None: no people)."""

    numerator: float | None
    denominator: float
    population: int | None
    scale: float = 1.0
    value: float | None = None
    # Who the population is, as one number (`repository.fingerprint`): the same people give the same
    # number, other people of the same count another. None: not fingerprinted.
    members: int | None = None


@dataclass(frozen=True)
class KpiOutcome:
    definition: KpiDefinition
    targets: Targets
    target: float | None  # the target in force on the day
    status: Status
    value: float | None
    numerator: float | None
    denominator: float | None
    population: int | None  # never published: the differencing rules compare it
    members: int | None = None  # never published: who the population is (`Measure.members`)

    @property
    def published(self) -> bool:
        return self.status not in ("suppressed", "insufficient_data")


def _seed(
    name: str,
    title: str,
    type_: KpiType,
    unit: str,
    direction: Direction,
    baseline: float | None,
    target_12m: float,
    frequency: Frequency,
    owner: str,
    source: str,
    formula: str,
    *,
    target_6m: float | None = None,
    survey_derived: bool = False,
    about_people: bool = True,
) -> KpiDefinition:
    # The seed gives 12-month targets only; the default 6-month target is halfway from the baseline.
    if target_6m is None:
        target_6m = target_12m if baseline is None else round((baseline + target_12m) / 2, 4)
    return KpiDefinition(
        name, title, type_, unit, direction, baseline, target_6m, target_12m, frequency, owner, source,
        formula, survey_derived, about_people,
    )  # fmt: skip


CATALOG: dict[str, KpiDefinition] = {
    d.name: d
    for d in (
        _seed(
            "coach_to_coachee_ratio", "Coach to coachee ratio", "operational", "coachees per coach", "lower",
            25, 15, "quarterly", "Coaching Ops", "matching (match facts)",
            "distinct coachees / distinct coaches in active coaching matches (seed 1:25 -> 1:15)",
        ),
        _seed(
            "coach_utilization", "Coach utilization rate", "operational", "fraction", "higher",
            0.40, 0.70, "monthly", "Program Manager", "matching (match facts, provider capacity)",
            "active coaching matches / registered coach capacity (latest ProviderCapacityChanged)",
        ),
        _seed(
            "participant_nps", "Participant NPS", "experience", "NPS points", "higher",
            22, 45, "after_cohort", "L&D Analytics", "participant survey",
            "100 x (promoters 9-10 - detractors 0-6) / answers, latest answer per participant and cohort",
            survey_derived=True,
        ),
        _seed(
            "promotion_rate", "Promotion rate among participants", "lagging", "fraction", "higher",
            0.08, 0.14, "annually", "Talent & Succession", "HRIS (promotion facts)",
            "participants promoted within the last 365 days, after joining / participants",
        ),
        _seed(
            "manager_coaching_adoption", "Manager coaching adoption (self-report)", "leading", "fraction",
            "higher", 0.28, 0.60, "quarterly", "People Managers", "manager survey",
            "managers reporting they coach routinely / managers reporting, latest quarter",
            survey_derived=True,
        ),
        _seed(
            "business_kpi", "Targeted business KPI", "lagging", "KPI units", "higher",
            72, 78, "quarterly", "Product / Ops", "business-KPI import",
            "latest imported period of the program's business KPI (default `csat`)",
            about_people=False,
        ),
        _seed(
            "session_completion_rate", "Session completion rate", "leading", "fraction", "higher",
            None, 0.80, "monthly", "Program Manager", "vendor telemetry",
            "completed / (completed + no-show), latest vendor outcome per session already started",
        ),
        _seed(
            "attendance_rate", "Attendance rate", "leading", "fraction", "higher",
            None, 0.80, "monthly", "Program Manager", "attendance ledger (vendor outcome as fallback)",
            "sessions held / sessions due (rescheduled ones excluded); a session without a ledger "
            "entry counts by its latest vendor outcome",
        ),
        _seed(
            "reassignment_rate", "Reassignment rate", "operational", "fraction", "lower",
            None, 0.10, "monthly", "Coaching Ops", "matching (match facts)",
            "matches ended as reassigned / matches approved",
        ),
        _seed(
            "sponsor_actions_per_mentee", "Sponsor actions per mentee", "leading", "actions per mentee",
            "higher", None, 1.0, "quarterly", "Program Manager", "matching (sponsor actions)",
            "sponsor actions logged and not retracted / mentees with an approved mentor match",
        ),
        _seed(
            "participant_rating_median", "Participant rating (median)", "experience", "rating 1-5",
            "higher", None, 4.0, "monthly", "L&D Analytics", "vendor telemetry",
            "median of the ratings of completed sessions (latest outcome per session)",
        ),
        _seed(
            "sla_adherence", "SLA adherence", "operational", "fraction", "higher",
            None, 0.95, "monthly", "Coaching Ops", "scheduling (SlaMet / SlaBreached)",
            "SLA clocks met / (met + breached), all layers",
        ),
        *(
            _seed(
                f"sla_adherence.{layer}", f"SLA adherence ({layer})", "operational", "fraction", "higher",
                None, 0.95, "monthly", "Coaching Ops", "scheduling (SlaMet / SlaBreached)",
                f"SLA clocks met / (met + breached), {layer} layer",
            )
            for layer in ("coaching", "mentoring", "network")
        ),
        _seed(
            "time_to_first_session", "Time to first session", "operational", "days", "lower",
            None, 7, "monthly", "Coaching Ops", "scheduling (session facts)",
            "sum over matches of (first session start - approval) in days / matches with a session",
        ),
    )
}  # fmt: skip


def median_of_counts(counts: Mapping[int, int]) -> float | None:
    """The median of a multiset given as value -> how many times (PostgreSQL's `percentile_cont(0.5)`:
    the mean of the two middle values when there is an even number of them); None when empty."""
    ordered = sorted((value, n) for value, n in counts.items() if n > 0)
    total = sum(n for _, n in ordered)
    if not total:
        return None

    def at(rank: int) -> int:
        """The value at 0-based position `rank` of the sorted multiset."""
        seen = 0
        for value, n in ordered:
            seen += n
            if seen > rank:
                return value
        raise ValueError(rank)

    middle = (total - 1) / 2
    return (at(math.floor(middle)) + at(math.ceil(middle))) / 2


def seed_targets(definition: KpiDefinition) -> Targets:
    return Targets(definition.baseline, definition.target_6m, definition.target_12m)


def months_between(start: date, at: datetime) -> float:
    return (at.date() - start).days / DAYS_PER_MONTH


def target_on(targets: Targets, months: float | None) -> float | None:
    """The target in force `months` after the program started (None: start unknown -> 12-month target).

    Linear from the baseline at the start to the 6-month target at month 6, then to the 12-month
    target at month 12, then held. Without a baseline the 6-month target holds until month 6.
    """
    t6, t12 = targets.target_6m, targets.target_12m
    if months is None or t6 is None or t12 is None:
        return t12 if t12 is not None else t6
    if months >= 12:
        return t12
    if months >= 6:
        return round(t6 + (t12 - t6) * (months - 6) / 6, 4)
    if targets.baseline is None:
        return t6
    return round(targets.baseline + (t6 - targets.baseline) * max(months, 0.0) / 6, 4)


def band(value: float, target: float, targets: Targets, direction: Direction) -> Status:
    """Green when the target is met; amber within `amber_band` x the baseline-to-12-month-target distance
    short of it (x the target itself without a baseline); red beyond."""
    reference = targets.target_12m if targets.target_12m is not None else target
    span = abs(reference - targets.baseline) if targets.baseline is not None else abs(reference)
    width = targets.amber_band * span
    if direction == "higher":
        return "green" if value >= target else "amber" if value >= target - width else "red"
    return "green" if value <= target else "amber" if value <= target + width else "red"


def threshold(definition: KpiDefinition, k: int) -> int:
    return max(k, SURVEY_K) if definition.survey_derived else k


def evaluate(
    definition: KpiDefinition, measure: Measure, targets: Targets, *, k: int, months: float | None
) -> KpiOutcome:
    """Suppressed below k people; insufficient data without a denominator; otherwise banded."""
    target = target_on(targets, months)
    base = KpiOutcome(
        definition, targets, target, "suppressed", None, None, None, measure.population, measure.members
    )
    if measure.population is not None and 0 < measure.population < threshold(definition, k):
        return base
    value = measure.value
    if value is None:
        if measure.denominator <= 0 or measure.numerator is None:
            return replace(base, status="insufficient_data")
        value = round(measure.scale * measure.numerator / measure.denominator, 4)
    status: Status = "green" if target is None else band(value, target, targets, definition.direction)
    return replace(
        base, status=status, value=value, numerator=measure.numerator, denominator=measure.denominator
    )


def suppressed(outcome: KpiOutcome) -> KpiOutcome:
    return replace(outcome, status="suppressed", value=None, numerator=None, denominator=None)


def guard_complement(outcome: KpiOutcome, parent_population: int | None, *, k: int) -> KpiOutcome:
    """A part of a published whole (a cohort of its program, a program of all programs) is suppressed
    when the rest of the whole is 1..k-1 people: whole minus part would describe those few."""
    if outcome.population is None or parent_population is None or not outcome.published:
        return outcome
    rest = parent_population - outcome.population
    return suppressed(outcome) if 0 < rest < threshold(outcome.definition, k) else outcome


def guard_change(outcome: KpiOutcome, published: Mapping[int, int | None], *, k: int) -> KpiOutcome:
    """Two figures of the same series (live reads or snapshots) whose populations differ by 1..k-1
    people would reveal those few by subtraction, and two of the same size with other members would
    reveal the ones who left against the ones who joined. `published` maps every population the series
    has been published with to its members' fingerprint (None: not known). A figure is suppressed
    while its population is 1..k-1 away from any of them, or equal to one with other members."""
    if outcome.population is None or not outcome.published:
        return outcome
    limit = threshold(outcome.definition, k)
    near = any(0 < abs(outcome.population - p) < limit for p in published)
    known = published.get(outcome.population)
    swapped = known is not None and outcome.members is not None and known != outcome.members
    return suppressed(outcome) if near or swapped else outcome


@dataclass(frozen=True)
class Suppression(Generic[PartKey]):
    """The parts of a whole whose figures are suppressed, and whether the whole's is too."""

    parts: frozenset[PartKey]
    whole: bool


def secondary_suppression(
    whole: int | None,
    parts: Mapping[PartKey, int | None],
    threshold: int,
    *,
    withheld: Iterable[PartKey] = (),
) -> Suppression[PartKey]:
    """Which parts of a published whole (the programs of all programs, the cohorts of a program) to
    suppress so that the whole minus every published part never describes 1..threshold-1 people.

    A part is suppressed first for its own sake: 1..threshold-1 people, a rest of the whole of
    1..threshold-1 people (`guard_complement`), or `withheld` by another rule. While the people the
    published parts leave uncovered (distinct people of the whole minus the plain sum of the parts:
    someone in two parts only makes the sum larger) are 1..threshold-1, the smallest published part is
    suppressed too (ties: the smallest key), so the verdict depends on the populations only, never on
    which scope asked. With no part left to suppress, the whole is suppressed.
    """
    if whole is None:
        return Suppression(frozenset(), whole=False)
    # None and 0: nobody behind the part, nothing published that could be subtracted.
    counted = {key: n for key, n in parts.items() if n}
    out = {key for key, n in counted.items() if n < threshold or 0 < whole - n < threshold}
    out |= set(withheld) & counted.keys()
    published = sorted((n, key) for key, n in counted.items() if key not in out)
    uncovered = whole - sum(n for n, _ in published)
    while 0 < uncovered < threshold and published:
        n, key = published.pop(0)
        out.add(key)
        uncovered += n
    return Suppression(frozenset(out), whole=0 < uncovered < threshold)
