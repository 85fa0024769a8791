"""Cohort assignment: 10,000 participants to 2,000 providers with capacities (target <= 5 s).

Run: .venv/bin/python bench/matching_assignment.py [--quick]

Candidates are real scores: each participant is scored against the whole provider pool with the
vectorised scorer, hard filters applied, and keeps its 200 best providers (the graph ``assign`` sees;
it prunes further to ``prune_k`` = 20). Timed: ``assign`` against ``greedy_assign``, and total score
against greedy. A 1,000 x 200 instance with every admissible pair is solved exactly (no pruning)
to measure what pruning costs (target: within 0.1%). ``ratio`` is measured value / baseline value.
"""

from __future__ import annotations

import argparse
import time
import uuid

import numpy as np
from matching_proposal import WEEK, make_participants, make_providers

from tandem_matching.assignment.domain import AssignmentResult, assign, greedy_assign
from tandem_matching.scoring.domain import ALL_SIGNALS, DEFAULT_WEIGHTS
from tandem_matching.scoring.index import ProviderIndex

CONSENTED = frozenset(ALL_SIGNALS)


def candidate_lists(
    n_participants: int, n_providers: int, *, keep: int | None
) -> tuple[list[uuid.UUID], dict[uuid.UUID, list[tuple[uuid.UUID, float]]], dict[uuid.UUID, int]]:
    pool = make_providers(n_providers, seed=11)
    people = make_participants(n_participants, seed=12)
    index = ProviderIndex.build(pool, week_of=WEEK)
    ids = [p.id for p in pool]
    candidates: dict[uuid.UUID, list[tuple[uuid.UUID, float]]] = {}
    for person in people:
        totals = index.score_all(person, DEFAULT_WEIGHTS, consented=CONSENTED)
        rows = np.flatnonzero(index.admissible(person))
        if keep is not None and len(rows) > keep:
            rows = rows[np.argpartition(-totals[rows], keep - 1)[:keep]]
        candidates[person.id] = [(ids[r], float(totals[r])) for r in rows.tolist()]
    capacities = {p.id: p.remaining_capacity for p in pool if p.eligibility.eligible}
    return [p.id for p in people], candidates, capacities


def timed(run: object) -> tuple[AssignmentResult, float]:
    started = time.perf_counter()
    result = run()  # type: ignore[operator]
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="2,000 x 400 and 300 x 60")
    args = parser.parse_args()
    big, small = ((2_000, 400), (300, 60)) if args.quick else ((10_000, 2_000), (1_000, 200))

    people, candidates, capacities = candidate_lists(*big, keep=200)
    edges = sum(len(c) for c in candidates.values())
    optimal, optimal_s = timed(lambda: assign(people, candidates, capacities, prune_k=20))
    greedy, greedy_s = timed(lambda: greedy_assign(people, candidates, capacities))
    name = f"matching_assignment_{big[0]}x{big[1]}"
    print(f"# {name}: {edges} candidate edges, capacity {sum(capacities.values())}")
    print(
        f"bench: {name}_seconds {optimal_s:.3f} s baseline=greedy:{greedy_s:.3f} ratio={optimal_s / greedy_s:.2f}"
    )
    print(
        f"bench: {name}_total_score {optimal.total_score:.1f} points "
        f"baseline=greedy:{greedy.total_score:.1f} ratio={optimal.total_score / greedy.total_score:.5f}"
    )
    print(
        f"bench: {name}_coverage {optimal.coverage:.4f} share "
        f"baseline=greedy:{greedy.coverage:.4f} ratio={optimal.coverage / greedy.coverage:.5f}"
    )

    people, candidates, capacities = candidate_lists(*small, keep=None)
    edges = sum(len(c) for c in candidates.values())
    exact, exact_s = timed(lambda: assign(people, candidates, capacities, prune_k=None))
    pruned, pruned_s = timed(lambda: assign(people, candidates, capacities, prune_k=20))
    greedy = greedy_assign(people, candidates, capacities)
    gap = 100 * (exact.total_score - pruned.total_score) / exact.total_score
    name = f"matching_assignment_{small[0]}x{small[1]}"
    print(f"# {name}: {edges} candidate edges (unpruned), capacity {sum(capacities.values())}")
    print(
        f"bench: {name}_pruned_total_score {pruned.total_score:.3f} points "
        f"baseline=exact_unpruned:{exact.total_score:.3f} ratio={pruned.total_score / exact.total_score:.6f}"
    )
    print(f"bench: {name}_pruning_gap {gap:.4f} percent baseline=target:0.1 ratio={gap / 0.1:.4f}")
    print(
        f"bench: {name}_greedy_total_score {greedy.total_score:.3f} points "
        f"baseline=exact_unpruned:{exact.total_score:.3f} ratio={greedy.total_score / exact.total_score:.6f}"
    )
    print(
        f"bench: {name}_pruned_seconds {pruned_s:.3f} s baseline=exact_unpruned:{exact_s:.3f} ratio={pruned_s / exact_s:.3f}"
    )


if __name__ == "__main__":
    main()
