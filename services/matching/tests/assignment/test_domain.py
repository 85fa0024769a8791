"""Pure tests of cohort assignment: capacities, optimality against brute force, locks, reasons."""

from __future__ import annotations

import itertools
import uuid
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem_matching.assignment.domain import (
    AssignedPair,
    AssignmentResult,
    ScoreDistribution,
    Unmatched,
    UnmatchedReason,
    assign,
    greedy_assign,
)

P = [uuid.UUID(int=100 + i) for i in range(6)]
Q = [uuid.UUID(int=200 + i) for i in range(4)]


@st.composite
def instances(
    draw: st.DrawFn,
) -> tuple[list[uuid.UUID], dict[uuid.UUID, list[tuple[uuid.UUID, float]]], dict[uuid.UUID, int]]:
    people = P[: draw(st.integers(1, 6))]
    providers = Q[: draw(st.integers(1, 4))]
    candidates = {
        p: [
            (q, draw(st.integers(0, 100_000)) / 1000)
            for q in draw(st.lists(st.sampled_from(providers), unique=True))
        ]
        for p in people
    }
    capacities = {q: draw(st.integers(0, 3)) for q in providers}
    return people, candidates, capacities


def brute_force_optimum(
    people: list[uuid.UUID],
    candidates: dict[uuid.UUID, list[tuple[uuid.UUID, float]]],
    capacities: dict[uuid.UUID, int],
) -> float:
    best = 0.0
    options = [[None, *candidates[p]] for p in people]
    for choice in itertools.product(*options):
        load = Counter(edge[0] for edge in choice if edge is not None)
        if all(load[q] <= capacities.get(q, 0) for q in load):
            best = max(best, sum(edge[1] for edge in choice if edge is not None))
    return best


def check_feasible(result: AssignmentResult, capacities: dict[uuid.UUID, int]) -> None:
    load = Counter(pair.provider_id for pair in result.pairs)
    assert all(load[q] <= capacities.get(q, 0) for q in load)
    assert len({pair.participant_id for pair in result.pairs}) == len(result.pairs)


@settings(max_examples=150)
@given(instances())
def test_assignment_equals_the_exhaustive_optimum(instance: tuple) -> None:  # type: ignore[type-arg]
    people, candidates, capacities = instance
    result = assign(people, candidates, capacities, prune_k=None)
    check_feasible(result, capacities)
    assert result.total_score == pytest.approx(brute_force_optimum(people, candidates, capacities), abs=1e-9)
    assert assign(people, candidates, capacities).total_score == pytest.approx(result.total_score, abs=1e-9)


@given(instances())
def test_capacities_never_exceeded_with_pruning_and_greedy(instance: tuple) -> None:  # type: ignore[type-arg]
    people, candidates, capacities = instance
    for result in (
        assign(people, candidates, capacities, prune_k=1),
        greedy_assign(people, candidates, capacities),
    ):
        check_feasible(result, capacities)
        assert len(result.pairs) + len(result.unmatched) == len(people)
    optimum = assign(people, candidates, capacities, prune_k=None).total_score
    assert greedy_assign(people, candidates, capacities).total_score <= optimum + 1e-9


@given(instances(), st.data())
def test_locked_pairs_are_kept(instance: tuple, data: st.DataObject) -> None:  # type: ignore[type-arg]
    people, candidates, capacities = instance
    open_providers = [q for q, cap in capacities.items() if cap > 0]
    if not open_providers:
        return
    person = data.draw(st.sampled_from(people))
    provider = data.draw(st.sampled_from(open_providers))
    result = assign(people, candidates, capacities, locked={person: provider})
    check_feasible(result, capacities)
    assert result.provider_of(person) == provider
    assert [pair.locked for pair in result.pairs if pair.participant_id == person] == [True]


def test_optimum_beats_greedy_on_the_classic_trap() -> None:
    # Greedy gives A to P0 (90) and leaves P1 with nothing; the optimum is 80 + 85.
    candidates = {P[0]: [(Q[0], 90.0), (Q[1], 80.0)], P[1]: [(Q[0], 85.0)]}
    capacities = {Q[0]: 1, Q[1]: 1}
    assert greedy_assign(P[:2], candidates, capacities).total_score == 90.0
    result = assign(P[:2], candidates, capacities)
    assert result.total_score == 165.0
    assert result.coverage == 1.0
    assert result.distribution == ScoreDistribution(min=80.0, p25=81.25, median=82.5, p75=83.75, max=85.0)


def test_lock_consumes_capacity() -> None:
    candidates = {P[0]: [(Q[0], 10.0)], P[1]: [(Q[0], 95.0), (Q[1], 40.0)]}
    result = assign(P[:2], candidates, {Q[0]: 1, Q[1]: 1}, locked={P[0]: Q[0]})
    assert set(result.pairs) == {AssignedPair(P[0], Q[0], 10.0, locked=True), AssignedPair(P[1], Q[1], 40.0)}
    assert result.total_score == 50.0


def test_lock_on_a_full_provider_is_refused() -> None:
    with pytest.raises(ValueError, match="no capacity left"):
        assign(P[:2], {}, {Q[0]: 1}, locked={P[0]: Q[0], P[1]: Q[0]})


def test_unmatched_reasons() -> None:
    candidates = {
        P[0]: [],
        P[1]: [(Q[0], 70.0)],
        P[2]: [(Q[0], 60.0)],
        P[3]: [(Q[1], 50.0)],
    }
    result = assign(P[:4], candidates, {Q[0]: 1, Q[1]: 0})
    assert result.pairs == (AssignedPair(P[1], Q[0], 70.0),)
    assert result.unmatched == (
        Unmatched(P[0], UnmatchedReason.NO_ELIGIBLE_CANDIDATE),
        Unmatched(P[2], UnmatchedReason.CAPACITY_EXHAUSTED),
        Unmatched(P[3], UnmatchedReason.CAPACITY_EXHAUSTED),
    )
    assert result.coverage == 0.25


def test_pruned_out_candidate_is_reported() -> None:
    # prune_k=1 keeps each participant's best edge and each provider's best (1 x room) edges:
    # P1 -> Q1 (5.0) is neither, so P1 ends unmatched although Q1 still has room.
    candidates = {
        P[0]: [(Q[0], 90.0), (Q[1], 50.0)],
        P[1]: [(Q[0], 20.0), (Q[1], 5.0)],
        P[2]: [(Q[0], 85.0), (Q[1], 40.0)],
    }
    capacities = {Q[0]: 1, Q[1]: 2}
    result = assign(P[:3], candidates, capacities, prune_k=1)
    assert set(result.pairs) == {AssignedPair(P[0], Q[1], 50.0), AssignedPair(P[2], Q[0], 85.0)}
    assert result.unmatched == (Unmatched(P[1], UnmatchedReason.PRUNED),)
    assert assign(P[:3], candidates, capacities, prune_k=None).total_score == 140.0


def test_zero_score_pairs_still_improve_coverage() -> None:
    result = assign(P[:1], {P[0]: [(Q[0], 0.0)]}, {Q[0]: 1})
    assert result.pairs == (AssignedPair(P[0], Q[0], 0.0),)
    assert result.distribution == ScoreDistribution(0.0, 0.0, 0.0, 0.0, 0.0)


def test_negative_scores_refused() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        assign(P[:1], {P[0]: [(Q[0], -1.0)]}, {Q[0]: 1})


def test_empty_cohort() -> None:
    result = assign([], {}, {})
    assert (result.pairs, result.total_score, result.coverage, result.distribution) == ((), 0.0, 1.0, None)
