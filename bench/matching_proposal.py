"""Top-10 proposal for one participant among 10,000 providers (target p99 <= 20 ms).

Run: .venv/bin/python bench/matching_proposal.py [--quick]

The vectorised ``top_k`` over a prebuilt ``ProviderIndex`` is timed per participant; the baseline is
a plain Python loop that hard-filters and ``score()``s every provider, then sorts (timed on fewer
participants because it is slow). ``ratio`` is always measured value / baseline value.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid
from datetime import date

from tandem_matching.scoring.domain import (
    ALL_SIGNALS,
    DEFAULT_WEIGHTS,
    Eligibility,
    ParticipantProfile,
    ProviderKind,
    ProviderProfile,
    hard_filter,
    score,
)
from tandem_matching.scoring.index import ProviderIndex, top_k

WEEK = date(2025, 3, 12)  # New York already on EDT, Europe still on winter time: offsets differ.
ZONES = [
    "America/Los_Angeles",
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Berlin",
    "Africa/Johannesburg",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "UTC",
]
SKILLS = [f"skill_{i:02d}" for i in range(80)]
GOALS = [f"goal_{i:02d}" for i in range(16)]
OTHER_LANGUAGES = ["fr", "de", "es", "pt", "ja", "hi"]
MANAGERS = [uuid.UUID(int=(1 << 100) + i) for i in range(2000)]


def _hours(rng: random.Random) -> tuple[tuple[int, int, int], ...]:
    start = rng.randrange(7 * 60, 10 * 60 + 1, 15)
    return tuple((day, start, start + 8 * 60) for day in range(5))


def _languages(rng: random.Random) -> frozenset[str]:
    spoken = {"en"} if rng.random() < 0.9 else set()
    spoken.update(rng.sample(OTHER_LANGUAGES, rng.randint(0 if spoken else 1, 2)))
    return frozenset(spoken)


def make_providers(n: int, *, seed: int = 1) -> list[ProviderProfile]:
    rng = random.Random(seed)
    pool = []
    for _ in range(n):
        kind = ProviderKind.COACH if rng.random() < 0.3 else ProviderKind.MENTOR
        scheduled = rng.randrange(0, 40)
        eligible = rng.random() < 0.95
        pool.append(
            ProviderProfile(
                id=uuid.UUID(int=rng.getrandbits(128)),
                kind=kind,
                timezone=rng.choice(ZONES),
                languages=_languages(rng),
                working_hours=_hours(rng),
                skills={s: rng.randint(1, 5) for s in rng.sample(SKILLS, rng.randint(3, 8))},
                behavioural_focus=frozenset(rng.sample(GOALS, rng.randint(1, 5))),
                sponsorship_actions=rng.randrange(0, 15) if kind is ProviderKind.MENTOR else 0,
                promotions_sponsored=rng.randrange(0, 4) if kind is ProviderKind.MENTOR else 0,
                ratings=tuple(rng.choice([3.0, 3.5, 4.0, 4.5, 5.0]) for _ in range(rng.randrange(0, 20))),
                sessions_completed=rng.randrange(0, scheduled + 1),
                sessions_scheduled=scheduled,
                manager_chain=tuple(rng.sample(MANAGERS, 2)),
                capacity=rng.randint(8, 15) if kind is ProviderKind.COACH else 3,
                eligibility=Eligibility(True) if eligible else Eligibility(False, ("rating_median_below_4",)),
            )
        )
    return pool


def make_participants(n: int, *, seed: int = 2) -> list[ParticipantProfile]:
    rng = random.Random(seed)
    return [
        ParticipantProfile(
            id=uuid.UUID(int=rng.getrandbits(128)),
            timezone=rng.choice(ZONES),
            languages=_languages(rng),
            working_hours=_hours(rng),
            wanted_skills={s: rng.randint(2, 5) for s in rng.sample(SKILLS, rng.randint(2, 5))},
            behavioural_goals=frozenset(rng.sample(GOALS, rng.randint(1, 4))),
            manager_chain=tuple(rng.sample(MANAGERS, 2)),
            promotion_related=rng.random() < 0.3,
            needed_minutes_per_week=rng.choice([60, 60, 120]),
        )
        for _ in range(n)
    ]


def consent_for(rng: random.Random) -> frozenset:  # type: ignore[type-arg]
    # One participant in five withholds one signal, so the redistribution path is timed too.
    if rng.random() < 0.2:
        return frozenset(ALL_SIGNALS) - {rng.choice(ALL_SIGNALS)}
    return frozenset(ALL_SIGNALS)


def loop_top_k(person: ParticipantProfile, pool: list[ProviderProfile], consented: frozenset, k: int) -> list:  # type: ignore[type-arg]
    scored = [
        (score(person, p, DEFAULT_WEIGHTS, consented=consented, week_of=WEEK).total, p.id)
        for p in pool
        if not hard_filter(person, p)
    ]
    scored.sort(key=lambda pair: (-round(pair[0], 9), str(pair[1])))
    return scored[:k]


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="2,000 providers, 50 participants")
    args = parser.parse_args()
    n_providers, n_participants, n_baseline = (2_000, 50, 5) if args.quick else (10_000, 200, 20)

    pool = make_providers(n_providers)
    people = make_participants(n_participants)
    rng = random.Random(3)
    consents = [consent_for(rng) for _ in people]

    started = time.perf_counter()
    index = ProviderIndex.build(pool, week_of=WEEK)
    build_ms = (time.perf_counter() - started) * 1000

    for person, consented in zip(people[:5], consents, strict=False):  # warm-up
        top_k(person, index, DEFAULT_WEIGHTS, consented=consented, k=10)
    fast: list[float] = []
    for person, consented in zip(people, consents, strict=True):
        started = time.perf_counter()
        ranked = top_k(person, index, DEFAULT_WEIGHTS, consented=consented, k=10)
        fast.append((time.perf_counter() - started) * 1000)
        assert len(ranked) == 10

    slow: list[float] = []
    for person, consented in zip(people[:n_baseline], consents, strict=False):
        started = time.perf_counter()
        expected = loop_top_k(person, pool, consented, 10)
        slow.append((time.perf_counter() - started) * 1000)
        ranked = top_k(person, index, DEFAULT_WEIGHTS, consented=consented, k=10)
        assert [c.provider_id for c in ranked] == [pid for _, pid in expected], "vectorised != loop ranking"

    size = f"{n_providers}"
    for name, q in (("p50", 0.5), ("p99", 0.99)):
        value, base = percentile(fast, q), percentile(slow, q)
        print(
            f"bench: matching_proposal_top10_of_{size}_{name} {value:.2f} ms "
            f"baseline=python_loop_{name}:{base:.2f} ratio={value / base:.4f}"
        )
    print(
        f"bench: matching_proposal_index_build_{size} {build_ms:.0f} ms "
        f"baseline=python_loop_p50:{statistics.median(slow):.2f} ratio={build_ms / statistics.median(slow):.2f}"
    )


if __name__ == "__main__":
    main()
