"""Capacity-constrained cohort assignment: who gets which provider, for a whole cohort at once.

Pure functions and frozen dataclasses. :func:`assign` solves a min-cost flow with OR-Tools; the
graph is source -> participant (capacity 1) -> provider (capacity 1, cost = -scaled score) -> sink
(capacity = what the provider has left), plus a source -> sink bypass so that leaving someone
unmatched is allowed. :func:`greedy_assign` is the baseline the benchmark compares against.
See ``docs/matching-scoring.md`` for the scaling and the pruning.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from operator import attrgetter
from uuid import UUID

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow

SCORE_SCALE = 1000
"""Scores (0..100) become integers at 1/1000 of a point before the solver sees them."""

DEFAULT_PRUNE_K = 20
PROVIDER_SIDE_FACTOR = 1
"""Pruning also keeps, for each provider, its best ``factor * prune_k * room`` participants."""

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

Candidates = Mapping[UUID, Sequence[tuple[UUID, float]]]


class UnmatchedReason(StrEnum):
    NO_ELIGIBLE_CANDIDATE = "no_eligible_candidate"
    """The participant has no candidate at all (every provider was hard-filtered out)."""
    CAPACITY_EXHAUSTED = "capacity_exhausted"
    """Every candidate provider is full (with locked pairs and better-scoring participants)."""
    PRUNED = "pruned"
    """A candidate with room exists, but only beyond the ``prune_k`` best: rerun with a larger one."""


@dataclass(frozen=True)
class AssignedPair:
    participant_id: UUID
    provider_id: UUID
    score: float
    locked: bool = False


@dataclass(frozen=True)
class Unmatched:
    participant_id: UUID
    reason: UnmatchedReason


@dataclass(frozen=True)
class ScoreDistribution:
    """Quantiles of the assigned pairs' scores (linear interpolation)."""

    min: float
    p25: float
    median: float
    p75: float
    max: float


@dataclass(frozen=True)
class AssignmentResult:
    """The outcome of a (dry) run: nothing here is persisted by the domain."""

    pairs: tuple[AssignedPair, ...]
    total_score: float
    unmatched: tuple[Unmatched, ...]
    coverage: float
    distribution: ScoreDistribution | None

    def provider_of(self, participant_id: UUID) -> UUID | None:
        for pair in self.pairs:
            if pair.participant_id == participant_id:
                return pair.provider_id
        return None


@dataclass(frozen=True)
class _Problem:
    participants: tuple[UUID, ...]
    locked_pairs: tuple[AssignedPair, ...]
    free: tuple[UUID, ...]
    candidates: Candidates
    remaining: Mapping[UUID, int]


@dataclass(frozen=True)
class _Edges:
    """Candidate edges of the free participants to providers with room, as parallel arrays."""

    providers: tuple[UUID, ...]
    room: IntArray
    tail: IntArray
    head: IntArray
    score: FloatArray


def _prepare(
    participants: Sequence[UUID],
    candidates: Candidates,
    capacities: Mapping[UUID, int],
    locked: Mapping[UUID, UUID],
) -> _Problem:
    order = tuple(dict.fromkeys(participants))
    known = set(order)
    remaining = {provider: int(cap) for provider, cap in capacities.items()}
    if any(cap < 0 for cap in remaining.values()):
        raise ValueError("capacities: must be non-negative")
    locked_pairs: list[AssignedPair] = []
    for participant, provider in locked.items():
        if participant not in known:
            raise ValueError(f"locked: participant {participant} is not in the cohort")
        if remaining.get(provider, 0) <= 0:
            raise ValueError(f"locked: provider {provider} has no capacity left for {participant}")
        remaining[provider] -= 1
        scores = dict(candidates.get(participant, ()))
        locked_pairs.append(
            AssignedPair(participant, provider, float(scores.get(provider, 0.0)), locked=True)
        )
    free = tuple(p for p in order if p not in locked)
    return _Problem(order, tuple(locked_pairs), free, candidates, remaining)


def _edges(problem: _Problem) -> _Edges:
    counts: list[int] = []
    heads: list[UUID] = []
    values: list[float] = []
    for participant in problem.free:
        edges = problem.candidates.get(participant, ())
        counts.append(len(edges))
        if edges:
            ids, scores = zip(*edges, strict=True)
            heads.extend(ids)
            values.extend(scores)
    score = np.array(values, dtype=np.float64)
    if not np.all(np.isfinite(score) & (score >= 0.0)):
        raise ValueError("candidates: scores must be finite and non-negative")
    # UUID.__hash__ is Python code: key the lookups on the 128-bit integers instead.
    keys = list(map(attrgetter("int"), heads))
    # Provider ids in string order, so ties are broken the same way on every run.
    providers = tuple(sorted((UUID(int=k) for k in dict.fromkeys(keys)), key=str))
    node_of = {q.int: j for j, q in enumerate(providers)}
    head = np.fromiter(map(node_of.__getitem__, keys), dtype=np.int64, count=len(keys))
    tail = np.repeat(np.arange(len(problem.free), dtype=np.int64), counts)
    room = np.array([problem.remaining.get(q, 0) for q in providers], dtype=np.int64)
    open_edges = room[head] > 0
    return _Edges(providers, room, tail[open_edges], head[open_edges], score[open_edges])


def _rank_within(group: IntArray, scaled: IntArray) -> IntArray:
    """Each edge's rank (0 = best) among the edges of its group; ties keep the input order."""
    top = int(scaled.max()) + 1 if len(scaled) else 1
    order = np.argsort(group * top + (top - 1 - scaled), kind="stable")
    ordered = group[order]
    starts = np.ones(len(order), dtype=np.bool_)
    starts[1:] = ordered[1:] != ordered[:-1]
    position = np.arange(len(order), dtype=np.int64)
    first = np.maximum.accumulate(np.where(starts, position, 0))
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = position - first
    return ranks


def _result(problem: _Problem, chosen: Mapping[UUID, tuple[UUID, float]]) -> AssignmentResult:
    pairs = list(problem.locked_pairs)
    pairs.extend(AssignedPair(p, chosen[p][0], chosen[p][1]) for p in problem.free if p in chosen)
    used: dict[UUID, int] = {}
    for participant in problem.free:
        if participant in chosen:
            used[chosen[participant][0]] = used.get(chosen[participant][0], 0) + 1
    unmatched: list[Unmatched] = []
    for participant in problem.free:
        if participant in chosen:
            continue
        edges = problem.candidates.get(participant, ())
        if not edges:
            reason = UnmatchedReason.NO_ELIGIBLE_CANDIDATE
        else:
            with_room = {
                provider
                for provider, _ in edges
                if problem.remaining.get(provider, 0) - used.get(provider, 0) > 0
            }
            reason = UnmatchedReason.PRUNED if with_room else UnmatchedReason.CAPACITY_EXHAUSTED
        unmatched.append(Unmatched(participant, reason))
    scores = np.array([pair.score for pair in pairs], dtype=np.float64)
    distribution = None
    if len(scores):
        q = np.quantile(scores, [0.0, 0.25, 0.5, 0.75, 1.0])
        distribution = ScoreDistribution(*(float(x) for x in q))
    return AssignmentResult(
        pairs=tuple(pairs),
        total_score=math.fsum(scores.tolist()),
        unmatched=tuple(unmatched),
        coverage=len(pairs) / len(problem.participants) if problem.participants else 1.0,
        distribution=distribution,
    )


def assign(
    participants: Sequence[UUID],
    candidates: Candidates,
    capacities: Mapping[UUID, int],
    *,
    locked: Mapping[UUID, UUID] | None = None,
    prune_k: int | None = DEFAULT_PRUNE_K,
) -> AssignmentResult:
    """Assign each participant at most one provider, maximising the total score.

    ``candidates`` holds each participant's admissible providers with their scores (0..100),
    already hard-filtered; ``capacities`` what each provider can still take (a provider absent
    from it has none). ``locked`` pairs are kept as they are and use up capacity. Each participant
    keeps only its ``prune_k`` best candidates that have room (``None``: no pruning, the exact
    optimum). Scores are compared at 1/1000 of a point; between equal totals the assignment with
    more pairs wins.
    """
    if prune_k is not None and prune_k < 1:
        raise ValueError("prune_k: must be at least 1 or None")
    problem = _prepare(participants, candidates, capacities, locked or {})
    edges = _edges(problem)
    if not len(edges.tail):
        return _result(problem, {})
    n_free, provider_ids, room = len(problem.free), edges.providers, edges.room
    tail, head, score = edges.tail, edges.head, edges.score
    if prune_k is not None:
        scaled = np.rint(score * SCORE_SCALE).astype(np.int64)
        keep = _rank_within(tail, scaled) < prune_k
        keep |= _rank_within(head, scaled) < PROVIDER_SIDE_FACTOR * prune_k * room[head]
        tail, head, score = tail[keep], head[keep], score[keep]

    n_providers, n_edges = len(provider_ids), len(tail)
    source, sink = 0, 1 + n_free + n_providers
    # Scores are multiplied by (n + 1) and every pair earns one extra unit: the at most n units of
    # that bonus can never outweigh 1/1000 of a point, so it only breaks ties towards coverage.
    costs = -(np.rint(score * SCORE_SCALE).astype(np.int64) * (n_free + 1) + 1)
    provider_nodes = 1 + n_free + np.arange(n_providers, dtype=np.int64)
    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(
        np.concatenate([np.zeros(n_free, np.int64), 1 + tail, provider_nodes, [source]]),
        np.concatenate(
            [1 + np.arange(n_free, dtype=np.int64), 1 + n_free + head, np.full(n_providers, sink), [sink]]
        ),
        np.concatenate([np.ones(n_free + n_edges, np.int64), room, [n_free]]),
        np.concatenate([np.zeros(n_free, np.int64), costs, np.zeros(n_providers + 1, np.int64)]),
    )
    supplies = np.zeros(sink + 1, np.int64)
    supplies[source], supplies[sink] = n_free, -n_free
    solver.set_nodes_supplies(np.arange(sink + 1, dtype=np.int64), supplies)
    status = solver.solve()
    if status != solver.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    used = np.flatnonzero(solver.flows(np.arange(n_free, n_free + n_edges, dtype=np.int64)))
    chosen = {problem.free[tail[e]]: (provider_ids[head[e]], float(score[e])) for e in used.tolist()}
    return _result(problem, chosen)


def greedy_assign(
    participants: Sequence[UUID],
    candidates: Candidates,
    capacities: Mapping[UUID, int],
    *,
    locked: Mapping[UUID, UUID] | None = None,
) -> AssignmentResult:
    """Baseline: take edges best score first while both ends still have room."""
    problem = _prepare(participants, candidates, capacities, locked or {})
    edges = _edges(problem)
    room = edges.room.copy()
    taken = np.zeros(len(problem.free), dtype=np.bool_)
    chosen: dict[UUID, tuple[UUID, float]] = {}
    for e in np.lexsort((edges.tail, edges.head, -edges.score)).tolist():
        i, j = int(edges.tail[e]), int(edges.head[e])
        if not taken[i] and room[j] > 0:
            taken[i] = True
            room[j] -= 1
            chosen[problem.free[i]] = (edges.providers[j], float(edges.score[e]))
            if len(chosen) == len(problem.free):
                break
    return _result(problem, chosen)
