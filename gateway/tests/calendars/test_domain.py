"""Busy-interval merging and clipping, event ids, the notification window."""

import base64
import itertools
import uuid
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from tandem_gateway.calendars.domain import (
    Interval,
    google_event_id,
    merge_clipped,
    session_of_google_event_id,
    sessions_window,
)

T0 = datetime(2026, 12, 7, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


intervals = st.lists(
    st.tuples(st.integers(-600, 3000), st.integers(0, 600)).map(
        lambda p: Interval(at(p[0]), at(p[0] + p[1]))
    ),
    max_size=30,
)
windows = st.tuples(st.integers(0, 2000), st.integers(1, 1500)).map(lambda p: (at(p[0]), at(p[0] + p[1])))


def busy_minutes(busy: list[Interval], start: datetime, end: datetime) -> set[int]:
    first = int((start - T0).total_seconds() // 60)
    last = int((end - T0).total_seconds() // 60)
    return {m for m in range(first, last) if any(i.start <= at(m) < i.end for i in busy)}


@given(intervals, windows)
def test_merged_intervals_are_sorted_disjoint_and_inside_the_window(
    busy: list[Interval], window: tuple[datetime, datetime]
) -> None:
    start, end = window
    merged = merge_clipped(busy, start, end)
    for item in merged:
        assert start <= item.start < item.end <= end
        assert item.start.tzinfo == UTC
    for before, after in itertools.pairwise(merged):
        assert before.end < after.start


@given(intervals, windows)
def test_merging_keeps_exactly_the_busy_minutes_of_the_window(
    busy: list[Interval], window: tuple[datetime, datetime]
) -> None:
    start, end = window
    assert busy_minutes(merge_clipped(busy, start, end), start, end) == busy_minutes(busy, start, end)


def test_touching_intervals_merge_and_outside_ones_go() -> None:
    busy = [
        Interval(at(60), at(120)),
        Interval(at(0), at(60)),
        Interval(at(500), at(600)),
        Interval(at(-50), at(-10)),
    ]
    assert merge_clipped(busy, at(30), at(550)) == [Interval(at(30), at(120)), Interval(at(500), at(550))]


def test_other_zones_come_back_in_utc() -> None:
    paris = timezone(timedelta(hours=1))
    busy = [Interval(datetime(2026, 12, 7, 10, tzinfo=paris), datetime(2026, 12, 7, 11, tzinfo=paris))]
    assert merge_clipped(busy, at(0), at(24 * 60)) == [Interval(at(9 * 60), at(10 * 60))]


def test_google_event_id_is_lower_base32hex_without_padding() -> None:
    session_id = uuid.UUID("8f14e45f-ceea-467f-a8f7-5e4b2c6d1a90")
    event_id = google_event_id(session_id)
    assert event_id == base64.b32hexencode(session_id.bytes).decode().rstrip("=").lower()
    assert len(event_id) == 26
    assert set(event_id) <= set("0123456789abcdefghijklmnopqrstuv")


@given(st.uuids())
def test_google_event_id_round_trips(session_id: uuid.UUID) -> None:
    assert session_of_google_event_id(google_event_id(session_id)) == session_id


def test_window_spans_the_sessions_ahead() -> None:
    sessions = [Interval(at(-120), at(-60)), Interval(at(600), at(660)), Interval(at(60), at(120))]
    assert sessions_window(sessions, at(0)) == Interval(at(60), at(660))
    assert sessions_window(sessions[:1], at(0)) is None
