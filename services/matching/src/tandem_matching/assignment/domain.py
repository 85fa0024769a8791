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
from uuid import UUID

import numpy as np
from ortools.graph.python import min_cost_flow

SCORE_SCALE = 1000
"""Scores (0..100) become integers at 1/1000 of a point before the solver sees them."""

DEFAULT_PRUNE_K = 20

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
    candidates: Mapping[UUID, tuple[tuple[UUID, float], ...]]
    remaining: Mapping[UUID, int]


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
    cleaned: dict[UUID, tuple[tuple[UUID, float], ...]] = {}
    for participant in order:
        edges = tuple((provider, float(s)) for provider, s in candidates.get(participant, ()))
        if any(not (math.isfinite(s) and s >= 0.0) for _, s in edges):
            raise ValueError(f"candidates: scores of {participant} must be finite and non-negative")
        cleaned[participant] = edges
    free = tuple(p for p in order if p not in locked)
    return _Problem(order, tuple(locked_pairs), free, cleaned, remaining)


def _ranked(edges: Sequence[tuple[UUID, float]]) -> list[tuple[UUID, float]]:
    # Best first; the provider id breaks ties so pruning is deterministic.
    return sorted(edges, key=lambda edge: (-edge[1], str(edge[0])))


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
        edges = problem.candidates[participant]
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
    providers: dict[UUID, int] = {}
    tails: list[int] = []
    heads: list[int] = []
    costs: list[int] = []
    edge_meta: list[tuple[UUID, UUID, float]] = []
    n_free = len(problem.free)
    # Scores are multiplied by (n + 1) and every pair earns one extra unit: the at most n units of
    # that bonus can never outweigh 1/1000 of a point, so it only breaks ties towards coverage.
    stretch = n_free + 1
    for i, participant in enumerate(problem.free):
        open_edges = [
            edge for edge in problem.candidates[participant] if problem.remaining.get(edge[0], 0) > 0
        ]
        kept = _ranked(open_edges)[:prune_k] if prune_k is not None else open_edges
        for provider, s in kept:
            node = providers.setdefault(provider, len(providers))
            tails.append(1 + i)
            heads.append(1 + n_free + node)
            costs.append(-(round(s * SCORE_SCALE) * stretch + 1))
            edge_meta.append((participant, provider, s))
    if not edge_meta:
        return _result(problem, {})

    source, sink = 0, 1 + n_free + len(providers)
    provider_ids = list(providers)
    all_tails = np.concatenate(
        [
            np.zeros(n_free, np.int32),
            np.array(tails, np.int32),
            1 + n_free + np.arange(len(providers), dtype=np.int32),
            [source],
        ]
    )
    all_heads = np.concatenate(
        [
            1 + np.arange(n_free, dtype=np.int32),
            np.array(heads, np.int32),
            np.full(len(providers), sink, np.int32),
            [sink],
        ]
    )
    capacities_arr = np.concatenate(
        [
            np.ones(n_free, np.int64),
            np.ones(len(tails), np.int64),
            np.array([problem.remaining[p] for p in provider_ids], np.int64),
            [n_free],
        ]
    )
    costs_arr = np.concatenate(
        [np.zeros(n_free, np.int64), np.array(costs, np.int64), np.zeros(len(providers) + 1, np.int64)]
    )
    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(all_tails, all_heads, capacities_arr, costs_arr)
    supplies = np.zeros(sink + 1, np.int64)
    supplies[source], supplies[sink] = n_free, -n_free
    solver.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
    status = solver.solve()
    if status != solver.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    flows = solver.flows(np.arange(n_free, n_free + len(edge_meta), dtype=np.int32))
    chosen = {edge_meta[e][0]: (edge_meta[e][1], edge_meta[e][2]) for e in np.flatnonzero(flows).tolist()}
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
    remaining = dict(problem.remaining)
    edges = [
        (s, str(provider), participant, provider)
        for participant in problem.free
        for provider, s in problem.candidates[participant]
    ]
    edges.sort(key=lambda e: (-e[0], e[1], str(e[2])))
    chosen: dict[UUID, tuple[UUID, float]] = {}
    for s, _, participant, provider in edges:
        if participant not in chosen and remaining.get(provider, 0) > 0:
            chosen[participant] = (provider, s)
            remaining[provider] -= 1
    return _result(problem, chosen)
