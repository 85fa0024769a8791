"""Ranking a whole provider pool for one participant: numpy over a prebuilt :class:`ProviderIndex`,
explaining only the winners with :func:`tandem_matching.scoring.domain.score`. Both compute the same
numbers (the tests hold them to 1e-6)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

import numpy as np
import numpy.typing as npt

from tandem_matching.scoring.domain import (
    BITMAP_BITS,
    CONFLICT_CHAIN_DEPTH,
    BoolArray,
    FloatArray,
    ParticipantProfile,
    ProviderKind,
    ProviderProfile,
    ScoreBreakdown,
    Signal,
    WeightSet,
    past_success_value,
    score,
    sponsorship_history_value,
    utc_week_intervals,
    weight_plan,
)


def _week_bitmap(intervals: tuple[tuple[int, int], ...]) -> npt.NDArray[np.uint64]:
    bits = np.zeros(BITMAP_BITS, dtype=np.bool_)
    for lo, hi in intervals:
        bits[lo:hi] = True
    return np.packbits(bits).view(np.uint64)


def _columns(values: Iterable[str]) -> dict[str, int]:
    return {value: i for i, value in enumerate(sorted(set(values)))}


def _rows_by(keys: Iterable[tuple[UUID, int]]) -> dict[UUID, tuple[int, ...]]:
    grouped: dict[UUID, list[int]] = {}
    for key, row in keys:
        grouped.setdefault(key, []).append(row)
    return {key: tuple(rows) for key, rows in grouped.items()}


def _rows_by_key(keys: Iterable[tuple[str | None, int]]) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = {}
    for key, row in keys:
        if key is not None:
            grouped.setdefault(key, []).append(row)
    return grouped


def _signal_groups(pool: Sequence[ProviderProfile]) -> dict[frozenset[Signal], npt.NDArray[np.int64]]:
    grouped: dict[frozenset[Signal], list[int]] = {}
    for row, p in enumerate(pool):
        grouped.setdefault(p.consented_signals, []).append(row)
    return {signals: np.array(rows, dtype=np.int64) for signals, rows in grouped.items()}


@dataclass(frozen=True, eq=False)
class ProviderIndex:
    """A provider pool precomputed for vectorised scoring; build once per pool and reference week.

    Skills are an ``n x V`` level matrix over the skill vocabulary, focus areas and languages are
    boolean matrices, availability is a ``158 x n`` uint64 bitmap of the UTC minutes of the
    reference week (word-major), and the participant-independent signals (sponsorship, past success) are
    precomputed vectors.
    """

    providers: tuple[ProviderProfile, ...]
    week_of: date
    skill_columns: Mapping[str, int]
    skill_levels: npt.NDArray[np.int8]
    focus_columns: Mapping[str, int]
    focus: BoolArray
    language_columns: Mapping[str, int]
    languages: BoolArray
    availability: npt.NDArray[np.uint64]
    sponsorship: FloatArray
    past_success: FloatArray
    open: BoolArray
    is_coach: BoolArray
    id_rank: npt.NDArray[np.int64]
    row_of: Mapping[UUID, int]
    rows_reporting_to: Mapping[UUID, tuple[int, ...]]
    rows_by_manager: Mapping[UUID, tuple[int, ...]]
    rows_by_signals: Mapping[frozenset[Signal], npt.NDArray[np.int64]]
    level_rank: FloatArray  # NaN where unknown (or not consented)
    rows_by_department: Mapping[str, tuple[int, ...]]

    @classmethod
    def build(
        cls, providers: Sequence[ProviderProfile], vocabulary: Iterable[str] = (), *, week_of: date
    ) -> ProviderIndex:
        """Index ``providers``; the skill vocabulary is ``vocabulary`` plus every skill they list."""
        pool = tuple(providers)
        n = len(pool)
        skill_columns = _columns([*vocabulary, *(s for p in pool for s in p.skills)])
        focus_columns = _columns(f for p in pool for f in p.behavioural_focus)
        language_columns = _columns(lang for p in pool for lang in p.languages)
        skill_levels = np.zeros((n, len(skill_columns)), dtype=np.int8)
        focus = np.zeros((n, len(focus_columns)), dtype=np.bool_)
        languages = np.zeros((n, len(language_columns)), dtype=np.bool_)
        availability = np.zeros((BITMAP_BITS // 64, n), dtype=np.uint64)
        for row, p in enumerate(pool):
            for skill, level in p.skills.items():
                skill_levels[row, skill_columns[skill]] = level
            focus[row, [focus_columns[f] for f in p.behavioural_focus]] = True
            languages[row, [language_columns[lang] for lang in p.languages]] = True
            availability[:, row] = _week_bitmap(utc_week_intervals(p.working_hours, p.timezone, week_of))
        order = sorted(range(n), key=lambda row: str(pool[row].id))
        id_rank = np.empty(n, dtype=np.int64)
        id_rank[order] = np.arange(n)
        return cls(
            providers=pool,
            week_of=week_of,
            skill_columns=skill_columns,
            skill_levels=skill_levels,
            focus_columns=focus_columns,
            focus=focus,
            language_columns=language_columns,
            languages=languages,
            availability=availability,
            sponsorship=np.array(
                [sponsorship_history_value(p.sponsorship_actions, p.promotions_sponsored) for p in pool],
                dtype=np.float64,
            ),
            past_success=np.array(
                [past_success_value(p.ratings, p.sessions_completed, p.sessions_scheduled) for p in pool],
                dtype=np.float64,
            ),
            open=np.array(
                [
                    p.eligibility.eligible and p.remaining_capacity > 0 and p.matching_consent and p.active
                    for p in pool
                ],
                dtype=np.bool_,
            ),
            is_coach=np.array([p.kind is ProviderKind.COACH for p in pool], dtype=np.bool_),
            id_rank=id_rank,
            row_of={p.id: row for row, p in enumerate(pool)},
            rows_reporting_to=_rows_by(
                (boss, row) for row, p in enumerate(pool) for boss in p.manager_chain[:CONFLICT_CHAIN_DEPTH]
            ),
            rows_by_manager=_rows_by(
                (p.manager_chain[0], row) for row, p in enumerate(pool) if p.manager_chain
            ),
            rows_by_signals=_signal_groups(pool),
            level_rank=np.array(
                [np.nan if p.level_rank is None else float(p.level_rank) for p in pool], dtype=np.float64
            ),
            rows_by_department={
                d: tuple(rows)
                for d, rows in _rows_by_key((p.department, row) for row, p in enumerate(pool)).items()
            },
        )

    def __len__(self) -> int:
        return len(self.providers)

    def admissible(self, participant: ParticipantProfile, *, kind: ProviderKind | None = None) -> BoolArray:
        """Rows passing :func:`hard_filter` for ``participant`` (and of ``kind`` when given)."""
        cols = [
            self.language_columns[lang] for lang in participant.languages if lang in self.language_columns
        ]
        mask = self.open & self.languages[:, cols].any(axis=1)
        if kind is not None:
            mask &= self.is_coach if kind is ProviderKind.COACH else ~self.is_coach
        blocked: list[int] = list(self.rows_reporting_to.get(participant.id, ()))
        for boss in (participant.id, *participant.manager_chain[:CONFLICT_CHAIN_DEPTH]):
            if boss in self.row_of:
                blocked.append(self.row_of[boss])
        if participant.manager_chain:
            blocked.extend(self.rows_by_manager.get(participant.manager_chain[0], ()))
        if participant.level_rank is not None:
            # NaN compares False: a mentor whose level is unknown is not held to the rule.
            mask &= self.is_coach | ~(self.level_rank <= participant.level_rank)
        if participant.department is not None:
            blocked.extend(
                r for r in self.rows_by_department.get(participant.department, ()) if not self.is_coach[r]
            )
        mask[blocked] = False
        return mask

    def score_all(
        self, participant: ParticipantProfile, weights: WeightSet, *, consented: Iterable[Signal]
    ) -> FloatArray:
        """Every row's total, as :func:`score` would compute it (hard filters not applied).

        Providers are grouped by the signals their own consent allows (usually one group: all five);
        each group gets the weight plan of the signals both sides allow, exactly as :func:`score`
        builds it for one pair, so per-pair exclusions keep the vectorised numbers equal to it.
        """
        allowed = frozenset(Signal(s) for s in consented)
        totals = np.zeros(len(self), dtype=np.float64)
        values: dict[Signal, FloatArray] = {}
        for signals, rows in self.rows_by_signals.items():
            plan = weight_plan(weights, allowed & signals, promotion_related=participant.promotion_related)
            whole = len(rows) == len(self)
            for signal in plan.included:
                if plan.used[signal] == 0.0:
                    continue
                if signal not in values:
                    values[signal] = self._signal_values(signal, participant)
                if whole:
                    totals += plan.used[signal] * values[signal]
                else:
                    totals[rows] += plan.used[signal] * values[signal][rows]
        return totals

    def _signal_values(self, signal: Signal, participant: ParticipantProfile) -> FloatArray:
        n = len(self)
        if signal is Signal.TECHNICAL_SKILLS:
            needed = sum(participant.wanted_skills.values())
            known = [
                (self.skill_columns[s], t)
                for s, t in participant.wanted_skills.items()
                if s in self.skill_columns
            ]
            if needed == 0 or not known:
                return np.zeros(n, dtype=np.float64)
            cols = [c for c, _ in known]
            targets = np.array([t for _, t in known], dtype=np.int8)
            covered = np.minimum(self.skill_levels[:, cols], targets).sum(axis=1, dtype=np.int64)
            return np.asarray(covered / needed, dtype=np.float64)
        if signal is Signal.BEHAVIOURAL_GOALS:
            goals = participant.behavioural_goals
            cols = [self.focus_columns[g] for g in goals if g in self.focus_columns]
            if not goals or not cols:
                return np.zeros(n, dtype=np.float64)
            return np.asarray(self.focus[:, cols].sum(axis=1, dtype=np.int64) / len(goals), dtype=np.float64)
        if signal is Signal.SPONSORSHIP_HISTORY:
            return self.sponsorship
        if signal is Signal.AVAILABILITY_OVERLAP:
            mine = _week_bitmap(
                utc_week_intervals(participant.working_hours, participant.timezone, self.week_of)
            )
            words = np.flatnonzero(mine)
            # Word-major layout: the participant's words are whole contiguous rows (fast to gather).
            shared = self.availability[words]
            np.bitwise_and(shared, mine[words, None], out=shared)
            overlap = np.bitwise_count(shared).sum(axis=0, dtype=np.int64)
            needed = participant.needed_minutes_per_week
            return np.asarray(np.minimum(overlap, needed) / needed, dtype=np.float64)
        return self.past_success


@dataclass(frozen=True)
class RankedCandidate:
    rank: int
    provider_id: UUID
    total: float
    breakdown: ScoreBreakdown


def top_k(
    participant: ParticipantProfile,
    providers: ProviderIndex,
    weights: WeightSet,
    *,
    consented: Iterable[Signal],
    k: int = 10,
    kind: ProviderKind | None = None,
) -> list[RankedCandidate]:
    """The ``k`` best admissible providers, best first, each with its full :func:`score` breakdown.

    Order: total descending (compared at 1e-9), then provider id ascending, exactly as sorting
    every admissible pair's :func:`score` would give. Hard-filtered providers never appear.
    """
    consented = frozenset(Signal(s) for s in consented)
    if k <= 0:
        return []
    totals = providers.score_all(participant, weights, consented=consented)
    keyed = np.where(providers.admissible(participant, kind=kind), np.round(totals, 9), -np.inf)
    candidates = np.flatnonzero(keyed > -np.inf)
    if len(candidates) > k:
        best = np.argpartition(-keyed, k - 1)[:k]
        # Widen to everyone tied with the k-th so the id tie-break decides, not argpartition.
        candidates = np.flatnonzero(keyed >= keyed[best].min())
    order = candidates[np.lexsort((providers.id_rank[candidates], -keyed[candidates]))][:k]
    ranked: list[RankedCandidate] = []
    for rank, row in enumerate(order.tolist(), start=1):
        provider = providers.providers[row]
        breakdown = score(participant, provider, weights, consented=consented, week_of=providers.week_of)
        ranked.append(
            RankedCandidate(rank=rank, provider_id=provider.id, total=breakdown.total, breakdown=breakdown)
        )
    return ranked
