"""Explainable, consent-aware scoring of participant-provider pairs.

Pure functions and frozen dataclasses: no I/O, no clock, no database. Every formula is written out
in ``docs/matching-scoring.md``; the constants below are the knobs those formulas name.

Two ways in:

* :func:`score` explains one pair signal by signal (the proposal stores this breakdown);
* ``scoring.index``'s ``ProviderIndex`` + ``top_k`` rank a whole provider pool for one participant
  with numpy and explain only the winners. Both compute the same numbers (the tests hold them to 1e-6).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from uuid import UUID
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt


class Signal(StrEnum):
    """A match signal from the seed's table; the value is the stored and displayed name."""

    TECHNICAL_SKILLS = "technical_skills"
    BEHAVIOURAL_GOALS = "behavioural_goals"
    SPONSORSHIP_HISTORY = "sponsorship_history"
    AVAILABILITY_OVERLAP = "availability_overlap"
    PAST_SUCCESS = "past_success"


ALL_SIGNALS: tuple[Signal, ...] = tuple(Signal)


class ProviderKind(StrEnum):
    COACH = "coach"
    MENTOR = "mentor"


class FilterReason(StrEnum):
    """Why a provider may not be proposed to a participant at all (see :func:`hard_filter`)."""

    SELF_MATCH = "self_match"
    NO_SHARED_LANGUAGE = "no_shared_language"
    PROVIDER_IS_MANAGER_OR_SKIP_LEVEL = "provider_is_manager_or_skip_level"
    PARTICIPANT_IS_MANAGER_OR_SKIP_LEVEL = "participant_is_manager_or_skip_level"
    SAME_REPORTING_LINE = "same_reporting_line"
    AT_CAPACITY = "at_capacity"
    INELIGIBLE = "ineligible"
    PROVIDER_CONSENT = "provider_consent"
    INACTIVE = "inactive"
    MENTOR_NOT_SENIOR = "mentor_not_senior"
    SAME_DEPARTMENT = "same_department"


MIN_LEVEL = 1
MAX_LEVEL = 5
MAX_WEIGHT = 100
MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
# The weekly bitmap is padded to whole 64-bit words so a row is a uint64 vector.
BITMAP_BITS = -(-MINUTES_PER_WEEK // 64) * 64  # a week of minutes, rounded up to uint64 words

SPONSORSHIP_HALF_SATURATION = 3.0
PROMOTION_ACTION_WEIGHT = 2
PRIOR_STRENGTH = 3.0
NEUTRAL_PRIOR = 0.5
DEFAULT_NEEDED_MINUTES = 60
CONFLICT_CHAIN_DEPTH = 2

CALIBRATION_THRESHOLD = 4.0
RATING_THRESHOLD = 4.0
MIN_COMPLETION_RATE = 0.8

WorkingHours = tuple[tuple[int, int, int], ...]
"""Weekly availability as ``(weekday, start_minute, end_minute)`` in local wall time.

``weekday`` is 0 (Monday) to 6 (Sunday); minutes count from local midnight, ``0 <= start < end <= 1440``.
"""

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


# --- weights -----------------------------------------------------------------------------------


class InvalidWeightSet(ValueError):
    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = tuple(problems)


def validate_weights(weights: Mapping[Signal, int]) -> list[str]:
    """Problems with a weight mapping, one message per field; empty when valid.

    Every signal needs an integer weight in 0..100 and at least one weight must be positive.
    """
    problems: list[str] = []
    for signal in ALL_SIGNALS:
        if signal not in weights:
            problems.append(f"{signal.value}: missing")
            continue
        value = weights[signal]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_WEIGHT:
            problems.append(f"{signal.value}: must be an integer between 0 and {MAX_WEIGHT}, got {value!r}")
    for key in weights:
        if key not in ALL_SIGNALS:
            problems.append(f"{key}: unknown signal")
    if not problems and sum(weights.values()) <= 0:
        problems.append("weights: at least one weight must be positive")
    return problems


@dataclass(frozen=True)
class WeightSet:
    """A program's versioned signal weights (0..100 each, not required to sum to 100)."""

    technical_skills: int
    behavioural_goals: int
    sponsorship_history: int
    availability_overlap: int
    past_success: int
    version: int = 1

    def __post_init__(self) -> None:
        problems = validate_weights(self.as_dict())
        if isinstance(self.version, bool) or not isinstance(self.version, int) or self.version < 1:
            problems.append(f"version: must be a positive integer, got {self.version!r}")
        if problems:
            raise InvalidWeightSet(problems)

    def weight(self, signal: Signal) -> int:
        value: int = getattr(self, signal.value)
        return value

    def as_dict(self) -> dict[Signal, int]:
        return {signal: self.weight(signal) for signal in ALL_SIGNALS}


DEFAULT_WEIGHTS = WeightSet(
    technical_skills=35,
    behavioural_goals=25,
    sponsorship_history=20,
    availability_overlap=10,
    past_success=10,
    version=1,
)


def effective_weights(weights: WeightSet, *, promotion_related: bool) -> WeightSet:
    """The weights actually used for a pairing: the seed's promotion rule applied.

    For promotion-related pairings sponsorship must outweigh technical fit. When it does not:
    if sponsorship < technical the two weights are swapped; on a tie the technical weight drops by
    one point (or, when both are 0, sponsorship gets one point). Anything else is returned as is.
    """
    technical, sponsorship = weights.technical_skills, weights.sponsorship_history
    if not promotion_related or sponsorship > technical:
        return weights
    if sponsorship < technical:
        technical, sponsorship = sponsorship, technical
    elif technical > 0:
        technical -= 1
    else:
        sponsorship = 1
    return WeightSet(
        technical_skills=technical,
        behavioural_goals=weights.behavioural_goals,
        sponsorship_history=sponsorship,
        availability_overlap=weights.availability_overlap,
        past_success=weights.past_success,
        version=weights.version,
    )


# --- profiles and eligibility ------------------------------------------------------------------


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reasons: tuple[str, ...] = ()


ELIGIBLE = Eligibility(eligible=True)


def _check_hours(hours: Iterable[Sequence[int]], owner: str) -> WorkingHours:
    blocks = tuple((int(b[0]), int(b[1]), int(b[2])) for b in hours)
    for weekday, start, end in blocks:
        if not 0 <= weekday <= 6 or not 0 <= start < end <= MINUTES_PER_DAY:
            raise ValueError(f"{owner}.working_hours: invalid block {(weekday, start, end)}")
    return blocks


def _check_levels(levels: Mapping[str, int], owner: str) -> dict[str, int]:
    for skill, level in levels.items():
        if not MIN_LEVEL <= level <= MAX_LEVEL:
            raise ValueError(f"{owner}: level of {skill!r} must be {MIN_LEVEL}..{MAX_LEVEL}, got {level}")
    return dict(levels)


@dataclass(frozen=True)
class ProviderProfile:
    """A coach or mentor as the scorer sees them (only fields the provider's consent allows).

    ``sponsorship_actions`` counts documented sponsor actions in the last 18 months.
    ``manager_chain`` is the provider's own line (manager, skip-level, ...), for conflict checks.
    ``active`` is false once the HR directory deactivated the person. ``level_rank`` and
    ``department`` are directory facts, set only when the provider's consent covers them (None: the
    HR rules that read them are left out for this provider).
    ``eligibility`` is decided upstream (:func:`coach_eligibility`, :func:`mentor_eligibility`).
    ``matching_consent`` and ``consented_signals`` are the provider's own `matching` consent, decided
    upstream (the consent service): without it the provider is hard-filtered; a signal outside
    ``consented_signals`` is excluded for every pair with this provider. The defaults (granted, every
    signal) exist for direct construction in tests; the service always passes the consent answer.
    """

    id: UUID
    kind: ProviderKind
    timezone: str
    languages: frozenset[str]
    working_hours: WorkingHours = ()
    skills: Mapping[str, int] = field(default_factory=dict)
    behavioural_focus: frozenset[str] = frozenset()
    sponsorship_actions: int = 0
    promotions_sponsored: int = 0
    ratings: tuple[float, ...] = ()
    sessions_completed: int = 0
    sessions_scheduled: int = 0
    manager_chain: tuple[UUID, ...] = ()
    capacity: int = 1
    active_load: int = 0
    eligibility: Eligibility = ELIGIBLE
    matching_consent: bool = True
    consented_signals: frozenset[Signal] = frozenset(ALL_SIGNALS)
    active: bool = True
    level_rank: int | None = None
    department: str | None = None

    def __post_init__(self) -> None:
        ZoneInfo(self.timezone)
        object.__setattr__(self, "consented_signals", frozenset(Signal(s) for s in self.consented_signals))
        object.__setattr__(self, "working_hours", _check_hours(self.working_hours, "provider"))
        object.__setattr__(self, "skills", _check_levels(self.skills, "provider.skills"))
        object.__setattr__(self, "languages", frozenset(self.languages))
        object.__setattr__(self, "behavioural_focus", frozenset(self.behavioural_focus))
        object.__setattr__(self, "ratings", tuple(self.ratings))
        object.__setattr__(self, "manager_chain", tuple(self.manager_chain))
        counts = (self.sponsorship_actions, self.promotions_sponsored, self.capacity, self.active_load)
        if min(counts) < 0 or not 0 <= self.sessions_completed <= self.sessions_scheduled:
            raise ValueError("provider: counts must be non-negative and completed <= scheduled")
        if any(not 1.0 <= r <= 5.0 for r in self.ratings):
            raise ValueError("provider.ratings: every rating must be between 1 and 5")

    @property
    def remaining_capacity(self) -> int:
        return max(self.capacity - self.active_load, 0)


@dataclass(frozen=True)
class ParticipantProfile:
    """A participant's intake as the scorer sees it.

    ``wanted_skills`` maps a skill to the target level (1..5); ``manager_chain`` is (manager,
    skip-level, ...); ``needed_minutes_per_week`` is the shared working time the track needs
    (60 for weekly coaching), beyond which more overlap adds nothing. ``level_rank`` and
    ``department`` are directory facts, set only when the participant's consent covers them.
    """

    id: UUID
    timezone: str
    languages: frozenset[str]
    working_hours: WorkingHours = ()
    wanted_skills: Mapping[str, int] = field(default_factory=dict)
    behavioural_goals: frozenset[str] = frozenset()
    manager_chain: tuple[UUID, ...] = ()
    promotion_related: bool = False
    needed_minutes_per_week: int = DEFAULT_NEEDED_MINUTES
    level_rank: int | None = None
    department: str | None = None

    def __post_init__(self) -> None:
        ZoneInfo(self.timezone)
        object.__setattr__(self, "working_hours", _check_hours(self.working_hours, "participant"))
        object.__setattr__(
            self, "wanted_skills", _check_levels(self.wanted_skills, "participant.wanted_skills")
        )
        object.__setattr__(self, "languages", frozenset(self.languages))
        object.__setattr__(self, "behavioural_goals", frozenset(self.behavioural_goals))
        object.__setattr__(self, "manager_chain", tuple(self.manager_chain))
        if self.needed_minutes_per_week <= 0:
            raise ValueError("participant.needed_minutes_per_week: must be positive")


@dataclass(frozen=True)
class RubricScore:
    """One calibration panelist's 1..5 scores on the seed's five coach dimensions."""

    challenge_skill: int
    behavioural_tools: int
    confidentiality_practice: int
    context_fluency: int
    measurable_outcomes: int

    def __post_init__(self) -> None:
        if any(not 1 <= s <= 5 for s in self.scores()):
            raise ValueError("rubric scores must be between 1 and 5")

    def scores(self) -> tuple[int, int, int, int, int]:
        return (
            self.challenge_skill,
            self.behavioural_tools,
            self.confidentiality_practice,
            self.context_fluency,
            self.measurable_outcomes,
        )


def calibration_score(panel: Sequence[RubricScore]) -> float | None:
    """Median over panelists of each panelist's mean rubric score; ``None`` without a panel."""
    if not panel:
        return None
    return float(statistics.median(sum(p.scores()) / 5 for p in panel))


def continuing_eligibility(
    ratings: Sequence[float],
    *,
    sessions_completed: int = 0,
    sessions_scheduled: int = 0,
    min_completion_rate: float = MIN_COMPLETION_RATE,
) -> Eligibility:
    """The seed's measurement gate: rating median >= 4.0 and enough completed sessions.

    Each check applies only once there is history (ratings, scheduled sessions).
    """
    reasons: list[str] = []
    if ratings and statistics.median(ratings) < RATING_THRESHOLD:
        reasons.append("rating_median_below_4")
    if sessions_scheduled > 0 and sessions_completed / sessions_scheduled < min_completion_rate:
        reasons.append("completion_rate_below_minimum")
    return Eligibility(eligible=not reasons, reasons=tuple(reasons))


def hard_filter(participant: ParticipantProfile, provider: ProviderProfile) -> list[str]:
    """Reasons this provider may never be proposed to this participant; empty when admissible.

    Conflicts: the provider is the participant's manager or skip-level, the participant is the
    provider's manager or skip-level, or both report to the same direct manager. A provider the HR
    directory deactivated is out. Mentoring rules on directory facts, applied only when both sides'
    facts are known (consent decides upstream): a mentor must rank above the participant's level and
    come from another department (sponsorship and network reach beyond the participant's own line).
    """
    reasons: list[str] = []
    if provider.id == participant.id:
        reasons.append(FilterReason.SELF_MATCH)
    if not participant.languages & provider.languages:
        reasons.append(FilterReason.NO_SHARED_LANGUAGE)
    if provider.id in participant.manager_chain[:CONFLICT_CHAIN_DEPTH]:
        reasons.append(FilterReason.PROVIDER_IS_MANAGER_OR_SKIP_LEVEL)
    if participant.id in provider.manager_chain[:CONFLICT_CHAIN_DEPTH]:
        reasons.append(FilterReason.PARTICIPANT_IS_MANAGER_OR_SKIP_LEVEL)
    if (
        participant.manager_chain
        and provider.manager_chain
        and participant.manager_chain[0] == provider.manager_chain[0]
    ):
        reasons.append(FilterReason.SAME_REPORTING_LINE)
    if provider.remaining_capacity <= 0:
        reasons.append(FilterReason.AT_CAPACITY)
    if not provider.eligibility.eligible:
        reasons.append(FilterReason.INELIGIBLE)
    if not provider.matching_consent:
        reasons.append(FilterReason.PROVIDER_CONSENT)
    if not provider.active:
        reasons.append(FilterReason.INACTIVE)
    if provider.kind is ProviderKind.MENTOR:
        if (
            participant.level_rank is not None
            and provider.level_rank is not None
            and provider.level_rank <= participant.level_rank
        ):
            reasons.append(FilterReason.MENTOR_NOT_SENIOR)
        if participant.department is not None and provider.department == participant.department:
            reasons.append(FilterReason.SAME_DEPARTMENT)
    return reasons


# --- signals -----------------------------------------------------------------------------------


def technical_skills_fit(wanted: Mapping[str, int], offered: Mapping[str, int]) -> float:
    """Level-weighted coverage: sum over wanted skills of min(offered, target) / sum of targets.

    A wanted skill at target level t counts t times; a provider at level >= t covers it fully, a
    lower level covers it in proportion. No wanted skills: 0.0 for everyone.
    """
    needed = sum(wanted.values())
    if needed == 0:
        return 0.0
    return sum(min(offered.get(skill, 0), target) for skill, target in wanted.items()) / needed


def behavioural_goal_fit(goals: frozenset[str], focus: frozenset[str]) -> float:
    """Share of the participant's behavioural goals in the provider's focus areas (0.0 without goals)."""
    if not goals:
        return 0.0
    return len(goals & focus) / len(goals)


def sponsorship_history_value(actions: int, promotions_sponsored: int) -> float:
    """Saturating: 1 - 2^(-(actions + 2 * promotions) / 3), i.e. 0.5 at three documented actions."""
    evidence = actions + PROMOTION_ACTION_WEIGHT * promotions_sponsored
    return 1.0 - math.pow(2.0, -evidence / SPONSORSHIP_HALF_SATURATION)


def past_success_value(ratings: Sequence[float], sessions_completed: int, sessions_scheduled: int) -> float:
    """Mean of a rating part and a completion part, each shrunk towards a neutral 0.5 prior.

    rating = (n * (median - 1) / 4 + 3 * 0.5) / (n + 3) over n ratings;
    completion = (completed + 3 * 0.5) / (scheduled + 3). No history at all gives 0.5.
    """
    n = len(ratings)
    rating_part = NEUTRAL_PRIOR
    if n:
        normalised = (float(statistics.median(ratings)) - 1.0) / 4.0
        rating_part = (n * normalised + PRIOR_STRENGTH * NEUTRAL_PRIOR) / (n + PRIOR_STRENGTH)
    completion_part = (sessions_completed + PRIOR_STRENGTH * NEUTRAL_PRIOR) / (
        sessions_scheduled + PRIOR_STRENGTH
    )
    return (rating_part + completion_part) / 2.0


def reference_week_start(week_of: date) -> datetime:
    """Monday 00:00 UTC of the ISO week containing ``week_of``: minute 0 of the reference week."""
    monday = week_of - timedelta(days=week_of.weekday())
    return datetime(monday.year, monday.month, monday.day, tzinfo=UTC)


@lru_cache(maxsize=65536)
def utc_week_intervals(hours: WorkingHours, timezone: str, week_of: date) -> tuple[tuple[int, int], ...]:
    """Working hours of the reference week as merged ``[start, end)`` UTC minute intervals.

    Each local block is placed on its date in the ISO week containing ``week_of`` and converted
    with that date's offset (so DST applies day by day), then folded onto the recurring week:
    minutes before Monday 00:00 UTC or after Sunday 24:00 UTC wrap around.
    """
    zone = ZoneInfo(timezone)
    anchor = reference_week_start(week_of)
    monday = anchor.date()
    pieces: list[tuple[int, int]] = []
    for weekday, start, end in hours:
        day = datetime(monday.year, monday.month, monday.day) + timedelta(days=weekday)
        lo = _utc_minute(day + timedelta(minutes=start), zone, anchor)
        hi = _utc_minute(day + timedelta(minutes=end), zone, anchor)
        if hi <= lo:
            continue  # a block swallowed by a DST gap
        lo_mod = lo % MINUTES_PER_WEEK
        hi_mod = lo_mod + (hi - lo)
        if hi_mod <= MINUTES_PER_WEEK:
            pieces.append((lo_mod, hi_mod))
        else:
            pieces.extend([(lo_mod, MINUTES_PER_WEEK), (0, hi_mod - MINUTES_PER_WEEK)])
    return _merge(pieces)


def _utc_minute(local: datetime, zone: ZoneInfo, anchor: datetime) -> int:
    return int((local.replace(tzinfo=zone) - anchor).total_seconds() // 60)


def _merge(pieces: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(pieces):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return tuple(merged)


def weekly_overlap_minutes(
    a: tuple[tuple[int, int], ...],
    b: tuple[tuple[int, int], ...],
) -> int:
    """Minutes per week both parties work, from two merged UTC interval lists."""
    total, i, j = 0, 0, 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        total += max(hi - lo, 0)
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total


def availability_overlap_value(overlap_minutes: int, needed_minutes: int) -> float:
    """min(overlap, needed) / needed: full marks once the track's weekly time fits in shared hours."""
    return min(overlap_minutes, needed_minutes) / needed_minutes


def signal_value(
    signal: Signal, participant: ParticipantProfile, provider: ProviderProfile, *, week_of: date
) -> float:
    """One signal's value in [0, 1] for a pair."""
    if signal is Signal.TECHNICAL_SKILLS:
        return technical_skills_fit(participant.wanted_skills, provider.skills)
    if signal is Signal.BEHAVIOURAL_GOALS:
        return behavioural_goal_fit(participant.behavioural_goals, provider.behavioural_focus)
    if signal is Signal.SPONSORSHIP_HISTORY:
        return sponsorship_history_value(provider.sponsorship_actions, provider.promotions_sponsored)
    if signal is Signal.AVAILABILITY_OVERLAP:
        overlap = weekly_overlap_minutes(
            utc_week_intervals(participant.working_hours, participant.timezone, week_of),
            utc_week_intervals(provider.working_hours, provider.timezone, week_of),
        )
        return availability_overlap_value(overlap, participant.needed_minutes_per_week)
    return past_success_value(provider.ratings, provider.sessions_completed, provider.sessions_scheduled)


# --- combining -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignalContribution:
    """``nominal_weight`` is the signal's share of 100 points before consent redistribution,
    ``weight_used`` after it; ``contribution = weight_used * value``."""

    value: float
    nominal_weight: float
    weight_used: float
    contribution: float


@dataclass(frozen=True)
class ScoreBreakdown:
    """An explained score: ``total`` (0..100) is exactly the sum of the contributions.

    ``excluded`` lists every signal left out for this pair (the participant's or the provider's
    consent did not cover it); they were never computed. ``provider_excluded`` is the part of
    ``excluded`` the participant allowed but the provider did not. ``redistributed_weight`` is the
    share of the 100 points they would have carried, handed to the included signals in proportion to
    their weights.
    """

    participant_id: UUID
    provider_id: UUID
    total: float
    contributions: Mapping[Signal, SignalContribution]
    excluded: tuple[Signal, ...]
    redistributed_weight: float
    weight_set_version: int
    promotion_rule_applied: bool
    provider_excluded: tuple[Signal, ...] = ()


@dataclass(frozen=True)
class WeightPlan:
    """How a weight set applies to one participant: promotion rule, then consent redistribution."""

    included: tuple[Signal, ...]
    excluded: tuple[Signal, ...]
    nominal: Mapping[Signal, float]
    used: Mapping[Signal, float]
    redistributed: float
    version: int
    promotion_rule_applied: bool


def weight_plan(weights: WeightSet, consented: Iterable[Signal], *, promotion_related: bool) -> WeightPlan:
    """The weights each consented signal carries (share of 100 points) and what was redistributed."""
    effective = effective_weights(weights, promotion_related=promotion_related)
    allowed = {Signal(s) for s in consented}
    included = tuple(s for s in ALL_SIGNALS if s in allowed)
    excluded = tuple(s for s in ALL_SIGNALS if s not in allowed)
    raw = effective.as_dict()
    everything = sum(raw.values())
    kept = sum(raw[s] for s in included)
    nominal = {s: 100.0 * raw[s] / everything for s in included}
    if kept == 0:
        # Nothing consented carries weight: there is nobody to hand the excluded weight to.
        used = dict.fromkeys(included, 0.0)
        redistributed = 0.0
    else:
        used = {s: 100.0 * raw[s] / kept for s in included}
        redistributed = 100.0 * sum(raw[s] for s in excluded) / everything
    return WeightPlan(
        included=included,
        excluded=excluded,
        nominal=nominal,
        used=used,
        redistributed=redistributed,
        version=weights.version,
        promotion_rule_applied=effective is not weights,
    )


def score(
    participant: ParticipantProfile,
    provider: ProviderProfile,
    weights: WeightSet,
    *,
    consented: Iterable[Signal],
    week_of: date,
) -> ScoreBreakdown:
    """Explain one pair: each consented signal's value, weight and contribution.

    ``consented`` holds the signals the participant allowed, ``provider.consented_signals`` those the
    provider allowed; a signal outside either is excluded and its weight is redistributed
    proportionally. ``week_of`` picks the reference week for time-zone overlap.
    The promotion rule (:func:`effective_weights`) applies when the participant is
    promotion-related. Hard filters are not applied here: see :func:`hard_filter`.
    """
    allowed = frozenset(Signal(s) for s in consented)
    plan = weight_plan(
        weights, allowed & provider.consented_signals, promotion_related=participant.promotion_related
    )
    contributions: dict[Signal, SignalContribution] = {}
    for signal in plan.included:
        value = signal_value(signal, participant, provider, week_of=week_of)
        used = plan.used[signal]
        contributions[signal] = SignalContribution(
            value=value, nominal_weight=plan.nominal[signal], weight_used=used, contribution=used * value
        )
    return ScoreBreakdown(
        participant_id=participant.id,
        provider_id=provider.id,
        total=math.fsum(c.contribution for c in contributions.values()),
        contributions=contributions,
        excluded=plan.excluded,
        redistributed_weight=plan.redistributed,
        weight_set_version=plan.version,
        promotion_rule_applied=plan.promotion_rule_applied,
        provider_excluded=tuple(s for s in plan.excluded if s in allowed),
    )
