"""Slot arithmetic: working hours in each person's own IANA time zone, busy times, a grid of proposals.

Pure functions only. Instants are timezone-aware datetimes; working hours are wall-clock times in the
person's zone. Time is cut into cells (15 minutes for search, 1 minute for checking a booking): a cell
counts as working when its whole wall-clock span lies inside one of that weekday's windows and the UTC
offset does not change within it, which makes DST days exact rather than approximately right.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from math import ceil, floor
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from tandem_scheduling.models import Engagement

MINUTES_PER_DAY = 24 * 60
WEEK_MINUTES = 7 * MINUTES_PER_DAY
SEARCH_CELL = timedelta(minutes=15)
_HHMM = re.compile(r"^(?:([01]\d|2[0-3]):([0-5]\d)|24:00)$")


class InvalidWorkingHours(ValueError):
    """Working hours or a time zone that cannot be understood."""


@dataclass(frozen=True)
class Window:
    """Working time on one weekday (Mon=0), in minutes after local midnight, end exclusive."""

    weekday: int
    start: int
    end: int


@dataclass(frozen=True)
class Person:
    """Whose calendar: the zone their working hours are written in, and the hours themselves."""

    timezone: ZoneInfo
    windows: tuple[Window, ...]

    def works_during(self, weekday: int, start: int, end: int) -> bool:
        """True when local minutes [start, end) of `weekday` lie inside one window."""
        return any(w.weekday == weekday and w.start <= start and end <= w.end for w in self.windows)


@dataclass(frozen=True)
class Interval:
    start: datetime
    end: datetime

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end


def parse_minutes(value: str) -> int:
    match = _HHMM.match(value)
    if match is None:
        raise InvalidWorkingHours(f"{value!r} is not a time of day as HH:MM (00:00 to 24:00).")
    if value == "24:00":
        return MINUTES_PER_DAY
    return int(match.group(1)) * 60 + int(match.group(2))


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidWorkingHours(f"{name!r} is not an IANA time zone.") from exc


def parse_windows(hours: Iterable[Mapping[str, Any]]) -> tuple[Window, ...]:
    """Contract shape `{weekday, start: "HH:MM", end: "HH:MM"}` to windows, merged per weekday.

    A window that ends before it starts runs past midnight and is split onto the next weekday.
    """
    pieces: list[Window] = []
    for entry in hours:
        weekday = entry.get("weekday")
        if not isinstance(weekday, int) or isinstance(weekday, bool) or not 0 <= weekday <= 6:
            raise InvalidWorkingHours(f"weekday must be 0 (Monday) to 6 (Sunday), got {weekday!r}.")
        start, end = parse_minutes(str(entry.get("start"))), parse_minutes(str(entry.get("end")))
        if start == end:
            raise InvalidWorkingHours(f"A working window cannot start and end at {entry.get('start')}.")
        if start < end:
            pieces.append(Window(weekday, start, end))
        else:
            pieces.append(Window(weekday, start, MINUTES_PER_DAY))
            if end > 0:
                pieces.append(Window((weekday + 1) % 7, 0, end))
    return merge_windows(pieces)


def merge_windows(windows: Iterable[Window]) -> tuple[Window, ...]:
    """Overlapping or touching windows of a weekday become one (so a slot may span 12:00 between them)."""
    merged: list[Window] = []
    for w in sorted(windows, key=lambda w: (w.weekday, w.start)):
        last = merged[-1] if merged else None
        if last is not None and last.weekday == w.weekday and w.start <= last.end:
            merged[-1] = Window(w.weekday, last.start, max(last.end, w.end))
        else:
            merged.append(w)
    return tuple(merged)


def person(timezone: str, hours: Iterable[Mapping[str, Any]]) -> Person:
    return Person(timezone=zone(timezone), windows=parse_windows(hours))


def people_of(engagement: Engagement) -> list[tuple[str, Person]]:
    """Both sides of an engagement, by role."""
    return [
        ("participant", person(engagement.participant_timezone, engagement.participant_working_hours)),
        ("provider", person(engagement.provider_timezone, engagement.provider_working_hours)),
    ]


def cell_is_working(who: Person, start: datetime, cell: timedelta) -> bool:
    """Is the cell [start, start + cell) wholly inside `who`'s working hours, in their local time?"""
    local = start.astimezone(who.timezone)
    # A cell that contains a UTC-offset change has no single wall-clock span: never count it as working.
    if local.utcoffset() != (start + cell - timedelta(microseconds=1)).astimezone(who.timezone).utcoffset():
        return False
    if local.second or local.microsecond:
        return False
    minute = local.hour * 60 + local.minute
    return who.works_during(local.weekday(), minute, minute + cell // timedelta(minutes=1))


def within_working_hours(who: Person, interval: Interval, *, cell: timedelta | None = None) -> bool:
    """Every cell of `interval` is working time for `who` (the interval must start on a cell boundary).

    By default the cells are 15 minutes when the interval is on the quarter hour (as bookings nearly
    always are: 4 checks an hour instead of 60), else 1 minute; the answer is the same either way.
    """
    if cell is None:
        offset = interval.start.astimezone(who.timezone).utcoffset() or timedelta(0)
        aligned = (
            _floor(interval.start, SEARCH_CELL) == interval.start
            and not (interval.end - interval.start) % SEARCH_CELL
            and not offset % SEARCH_CELL
        )
        cell = SEARCH_CELL if aligned else timedelta(minutes=1)
    if _floor(interval.start, cell) != interval.start or interval.end <= interval.start:
        return False
    at = interval.start
    while at < interval.end:
        if not cell_is_working(who, at, cell):
            return False
        at += cell
    return True


def find_slots(
    people: Sequence[Person],
    busy: Sequence[Interval],
    *,
    window: Interval,
    duration: timedelta,
    step: timedelta = timedelta(minutes=30),
    limit: int = 50,
) -> list[Interval]:
    """Start times on a UTC-aligned `step` grid where everyone works and nobody is busy, earliest first.

    `duration` and `step` are whole multiples of 15 minutes; offsets of every real zone are too, so the
    grid is also on the quarter hour in each person's local time. Busy intervals (sessions, calendar
    events) are taken out cell by cell: a slot is a run of whole cells, so it overlaps a busy interval
    exactly when one of its cells does.
    """
    if duration <= timedelta(0) or duration % SEARCH_CELL or step <= timedelta(0) or step % SEARCH_CELL:
        raise ValueError("duration and step must be positive multiples of 15 minutes")
    cells_per_slot = duration // SEARCH_CELL
    first_cell = _ceil(window.start, SEARCH_CELL)
    count = max(0, -((first_cell - window.end) // SEARCH_CELL))
    free = [True] * count
    for who in people:
        free = [f and w for f, w in zip(free, working_cells(who, first_cell, count), strict=True)]
    origin = first_cell.timestamp()
    for b in busy:
        lo = max(0, floor((b.start.timestamp() - origin) / _CELL_SECONDS))
        hi = min(count, ceil((b.end.timestamp() - origin) / _CELL_SECONDS))
        if lo < hi:
            free[lo:hi] = [False] * (hi - lo)
    # blocked[i]: cells before i that are not free; a slot is free when its run adds none.
    blocked = [0, *accumulate(not f for f in free)]
    first_start = _ceil(window.start, step)
    first_index, stride = (first_start - first_cell) // SEARCH_CELL, step // SEARCH_CELL
    last_index = (window.end - duration - first_cell) // SEARCH_CELL  # the last start that fits
    slots: list[Interval] = []
    for index in range(first_index, last_index + 1, stride):
        if blocked[index + cells_per_slot] == blocked[index]:
            start = first_cell + index * SEARCH_CELL
            slots.append(Interval(start, start + duration))
            if len(slots) >= limit:
                break
    return slots


_CELL_SECONDS = int(SEARCH_CELL.total_seconds())
_SCAN = timedelta(hours=6)  # no real zone changes its offset twice within six hours


def working_cells(who: Person, first: datetime, count: int) -> list[bool]:
    """`cell_is_working` for `count` search cells from `first`, without converting every cell.

    The UTC offset is looked up only every six hours and at its changes (found to the second); between
    them a cell's local weekday and minute are arithmetic. Same answer as `cell_is_working`, cell by cell.
    """
    # starts[w * 1440 + m]: local minute m of weekday w begins a whole working cell.
    span = _CELL_SECONDS // 60
    starts = [False] * WEEK_MINUTES
    for w in who.windows:
        if w.end - w.start >= span:
            base = w.weekday * MINUTES_PER_DAY
            starts[base + w.start : base + w.end - span + 1] = [True] * (w.end - w.start - span + 1)
    begin = int(first.timestamp())
    changes = _offset_changes(who.timezone, first, first + count * SEARCH_CELL)
    cells = [False] * count
    for (since, offset), (until, _) in zip(
        changes, [*changes[1:], (begin + count * _CELL_SECONDS, 0)], strict=True
    ):
        # Whole cells of this offset; a cell with a change strictly inside stays False (no single
        # wall-clock span), and so does a cell whose local start is not on a whole minute.
        lo = max(0, -((begin - since) // _CELL_SECONDS))
        hi = min(count, (until - begin) // _CELL_SECONDS)
        if lo >= hi or (begin + offset) % 60:
            continue
        # Local minutes since 1970-01-01, a Thursday: + 3 days makes the minute of a Monday-based week.
        minute = (begin + lo * _CELL_SECONDS + offset) // 60 + 3 * MINUTES_PER_DAY
        cells[lo:hi] = [starts[m % WEEK_MINUTES] for m in range(minute, minute + (hi - lo) * span, span)]
    return cells


def _offset_seconds(zone: ZoneInfo, at: int) -> int:
    offset = datetime.fromtimestamp(at, UTC).astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def _offset_changes(zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[int, int]]:
    """(from this UNIX second, the UTC offset in seconds) for [start, end), the first from `start`."""
    at = int(start.timestamp())
    stop, scan = int(end.timestamp()) + 1, int(_SCAN.total_seconds())
    changes = [(at, _offset_seconds(zone, at))]
    while at < stop:
        nxt = min(at + scan, stop)
        offset = _offset_seconds(zone, nxt)
        if offset != changes[-1][1]:
            lo, hi = at, nxt  # the old offset at lo, the new one at hi: halve to the second
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if _offset_seconds(zone, mid) == changes[-1][1]:
                    lo = mid
                else:
                    hi = mid
            changes.append((hi, offset))
        at = nxt
    return changes


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _floor(at: datetime, cell: timedelta) -> datetime:
    return at - (at - _EPOCH) % cell


def _ceil(at: datetime, cell: timedelta) -> datetime:
    floor = _floor(at, cell)
    return floor if floor == at else floor + cell
