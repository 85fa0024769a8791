"""Slot search over 6 weeks for two people with 500 busy events each (target p99 <= 15 ms).

Run: .venv/bin/python bench/slot_search.py [--quick] [--endpoint]

1. The pure search (`availability.domain.find_slots`) with both calendars' busy intervals given,
   against the same search with no busy events (the baseline).
2. With `--endpoint`: the scheduling endpoint `GET .../slots` end to end (token check, engagement
   read, sessions from PostgreSQL, the gateway's free/busy answer over HTTP from its cache), against
   the same endpoint for a pair without calendars. Needs the real gateway's free/busy API.

A New York participant and a Berlin coach, 09:00-17:00 on weekdays, a window from 2027-03-01 over the
US and EU DST changes (14 and 28 March), 60-minute slots on a 15-minute grid, every slot returned
(`limit` 500): the search cannot stop early. ``ratio`` is always measured value / baseline value.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta

from _infra import bench_line, percentile

from tandem_scheduling.availability import domain

WINDOW_START = datetime(2027, 3, 1, tzinfo=UTC)
WINDOW = domain.Interval(WINDOW_START, WINDOW_START + timedelta(weeks=6))
HOURS = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]
PEOPLE = [domain.person("America/New_York", HOURS), domain.person("Europe/Berlin", HOURS)]


def busy_events(rng: random.Random, who: domain.Person, count: int) -> list[domain.Interval]:
    """`count` meetings of 15 to 60 minutes, on the quarter hour between 07:00 and 19:00 of the person's
    weekdays (about 17 a day: a busy executive's calendar)."""
    events: list[domain.Interval] = []
    days = [WINDOW_START + timedelta(days=d) for d in range(42)]
    while len(events) < count:
        day = rng.choice(days).astimezone(who.timezone).replace(hour=0, minute=0)
        if day.weekday() >= 5:
            continue
        local = day.replace(hour=rng.randrange(7, 19), minute=rng.choice((0, 15, 30, 45)))
        start = local.astimezone(UTC)
        events.append(domain.Interval(start, start + timedelta(minutes=rng.choice((15, 30, 30, 45, 60)))))
    return events


def search(busy: list[domain.Interval]) -> list[domain.Interval]:
    return domain.find_slots(
        PEOPLE, busy, window=WINDOW, duration=timedelta(hours=1), step=timedelta(minutes=15), limit=500
    )


def timed(busy: list[domain.Interval], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        search(busy)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rounds = 50 if args.quick else 500
    rng = random.Random(14)
    busy = [b for who in PEOPLE for b in busy_events(rng, who, 500)]
    search(busy)  # warm the zone caches
    loaded, empty = timed(busy, rounds), timed([], rounds)
    print(f"slots found: {len(search(busy))} with 1000 busy events, {len(search([]))} without")
    for q in (50, 99):
        print(
            bench_line(
                f"slot_search_p{q}", percentile(loaded, q), "ms", "no_busy_events", percentile(empty, q)
            )
        )


if __name__ == "__main__":
    main()
