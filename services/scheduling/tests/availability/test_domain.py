from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tandem_scheduling.availability.domain import (
    Interval,
    InvalidWorkingHours,
    Person,
    Window,
    find_slots,
    parse_windows,
    person,
    within_working_hours,
)

WEEKDAYS_9_TO_5 = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]
ZONES = [
    "America/New_York",
    "Europe/Berlin",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "America/Sao_Paulo",
    "Pacific/Chatham",
    "UTC",
]
# Weeks around the DST changes of New York (2nd Sun of March, 1st Sun of November) and Berlin (last
# Sundays of March and October), plus the southern hemisphere's April and October changes.
DST_WEEKS = [datetime(2027, 3, 8), datetime(2027, 3, 24), datetime(2027, 10, 27), datetime(2027, 11, 3)]
OTHER_WEEKS = [datetime(2027, 1, 11), datetime(2027, 4, 1), datetime(2027, 7, 5), datetime(2027, 10, 1)]


def ny_berlin() -> list[Person]:
    return [person("America/New_York", WEEKDAYS_9_TO_5), person("Europe/Berlin", WEEKDAYS_9_TO_5)]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def day(date: datetime) -> Interval:
    return Interval(date, date + timedelta(days=1))


def starts(slots: list[Interval]) -> list[str]:
    return [s.start.strftime("%H:%M") for s in slots]


# -- examples -------------------------------------------------------------------------------------


def test_winter_overlap_of_new_york_and_berlin() -> None:
    slots = find_slots(ny_berlin(), [], window=day(utc(2027, 1, 11)), duration=timedelta(minutes=60))
    assert starts(slots) == ["14:00", "14:30", "15:00"]


def test_between_the_us_and_eu_dst_changes_the_overlap_grows() -> None:
    # New York is on EDT (UTC-4) from 14 March, Berlin still on CET (UTC+1) until 28 March.
    slots = find_slots(ny_berlin(), [], window=day(utc(2027, 3, 22)), duration=timedelta(minutes=60))
    assert starts(slots) == ["13:00", "13:30", "14:00", "14:30", "15:00"]


def test_summer_overlap() -> None:
    slots = find_slots(ny_berlin(), [], window=day(utc(2027, 7, 5)), duration=timedelta(minutes=60))
    assert starts(slots) == ["13:00", "13:30", "14:00"]


def test_between_the_eu_and_us_autumn_changes() -> None:
    # Berlin back on CET from 31 October, New York on EDT until 7 November.
    slots = find_slots(ny_berlin(), [], window=day(utc(2027, 11, 1)), duration=timedelta(minutes=60))
    assert starts(slots) == ["13:00", "13:30", "14:00", "14:30", "15:00"]


def test_spring_forward_night_loses_an_hour() -> None:
    night = person("America/New_York", [{"weekday": 6, "start": "01:00", "end": "04:00"}])
    slots = find_slots([night], [], window=day(utc(2027, 3, 14)), duration=timedelta(minutes=60))
    assert starts(slots) == ["06:00", "06:30", "07:00"]


def test_fall_back_night_gains_an_hour() -> None:
    night = person("America/New_York", [{"weekday": 6, "start": "01:00", "end": "03:00"}])
    slots = find_slots([night], [], window=day(utc(2027, 11, 7)), duration=timedelta(minutes=60))
    assert starts(slots) == ["05:00", "05:30", "06:00", "06:30", "07:00"]


def test_existing_sessions_are_skipped() -> None:
    busy = [Interval(utc(2027, 1, 11, 14, 30), utc(2027, 1, 11, 15, 0))]
    slots = find_slots(ny_berlin(), busy, window=day(utc(2027, 1, 11)), duration=timedelta(minutes=30))
    assert starts(slots) == ["14:00", "15:00", "15:30"]


def test_window_edges_and_limit() -> None:
    window = Interval(utc(2027, 1, 11, 14, 10), utc(2027, 1, 12, 16, 0))
    slots = find_slots(ny_berlin(), [], window=window, duration=timedelta(minutes=60), limit=3)
    assert [s.start for s in slots] == [
        utc(2027, 1, 11, 14, 30),
        utc(2027, 1, 11, 15, 0),
        utc(2027, 1, 12, 14, 0),
    ]


def test_overnight_window_is_split_to_the_next_day() -> None:
    assert parse_windows([{"weekday": 6, "start": "22:00", "end": "02:00"}]) == (
        Window(0, 0, 120),
        Window(6, 1320, 1440),
    )


def test_touching_windows_merge() -> None:
    hours = [
        {"weekday": 1, "start": "09:00", "end": "12:00"},
        {"weekday": 1, "start": "12:00", "end": "17:00"},
    ]
    assert parse_windows(hours) == (Window(1, 540, 1020),)


@pytest.mark.parametrize(
    "hours",
    [
        [{"weekday": 7, "start": "09:00", "end": "17:00"}],
        [{"weekday": 1, "start": "9am", "end": "17:00"}],
        [{"weekday": 1, "start": "09:00", "end": "09:00"}],
        [{"weekday": 1, "start": "09:00", "end": "24:30"}],
    ],
)
def test_bad_working_hours(hours: list[dict[str, Any]]) -> None:
    with pytest.raises(InvalidWorkingHours):
        parse_windows(hours)


def test_unknown_zone() -> None:
    with pytest.raises(InvalidWorkingHours, match="Mars/Base"):
        person("Mars/Base", WEEKDAYS_9_TO_5)


def test_booking_check_on_minutes() -> None:
    berlin = person("Europe/Berlin", WEEKDAYS_9_TO_5)
    assert within_working_hours(berlin, Interval(utc(2027, 1, 11, 8, 0), utc(2027, 1, 11, 16, 0)))
    assert not within_working_hours(berlin, Interval(utc(2027, 1, 11, 15, 30), utc(2027, 1, 11, 16, 1)))
    assert not within_working_hours(berlin, Interval(utc(2027, 1, 11, 7, 59), utc(2027, 1, 11, 9, 0)))


# -- properties ------------------------------------------------------------------------------------


def minute_is_working(hours: list[dict[str, Any]], tz: ZoneInfo, at: datetime) -> bool:
    """Independent oracle: the local wall-clock minute lies in one of the raw windows of its weekday."""
    local = at.astimezone(tz)
    minute = local.hour * 60 + local.minute
    for h in hours:
        start = int(h["start"][:2]) * 60 + int(h["start"][3:])
        end = int(h["end"][:2]) * 60 + int(h["end"][3:])
        if start < end and h["weekday"] == local.weekday() and start <= minute < end:
            return True
        if start > end and (
            (h["weekday"] == local.weekday() and minute >= start)
            or ((h["weekday"] + 1) % 7 == local.weekday() and minute < end)
        ):
            return True
    return False


def slot_is_working(hours: list[dict[str, Any]], tz: ZoneInfo, slot: Interval, every: int = 1) -> bool:
    at = slot.start
    while at < slot.end:
        if not minute_is_working(hours, tz, at):
            return False
        at += timedelta(minutes=every)
    return True


@st.composite
def working_hours(draw: st.DrawFn, minute_step: int = 1) -> list[dict[str, Any]]:
    def hhmm(total: int) -> str:
        return "24:00" if total == 1440 else f"{total // 60:02d}:{total % 60:02d}"

    entries = []
    for _ in range(draw(st.integers(1, 8))):
        start = draw(st.integers(0, 1439 // minute_step)) * minute_step
        end = draw(st.integers(1, 1440 // minute_step)) * minute_step
        if start == end:
            continue
        entries.append({"weekday": draw(st.integers(0, 6)), "start": hhmm(start), "end": hhmm(end)})
    return entries or [{"weekday": 0, "start": "09:00", "end": "17:00"}]


@st.composite
def search_window(draw: st.DrawFn, max_days: int = 7) -> Interval:
    week = draw(st.sampled_from(DST_WEEKS + OTHER_WEEKS))
    start = week.replace(tzinfo=UTC) + timedelta(minutes=draw(st.integers(0, 7 * 24 * 60)))
    return Interval(start, start + timedelta(minutes=draw(st.integers(60, max_days * 24 * 60))))


@st.composite
def busy_times(draw: st.DrawFn, window: Interval) -> list[Interval]:
    busy = []
    for _ in range(draw(st.integers(0, 6))):
        start = window.start + timedelta(minutes=draw(st.integers(-120, 7 * 24 * 60)))
        busy.append(Interval(start, start + timedelta(minutes=draw(st.integers(1, 240)))))
    return busy


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    zones=st.tuples(st.sampled_from(ZONES), st.sampled_from(ZONES)),
    hours=st.tuples(working_hours(), working_hours()),
    data=st.data(),
    duration=st.sampled_from([15, 30, 45, 60, 90, 120]),
    step=st.sampled_from([15, 30, 60]),
)
def test_every_slot_is_inside_both_working_hours_and_clear(
    zones: tuple[str, str],
    hours: tuple[list[dict[str, Any]], ...],
    data: st.DataObject,
    duration: int,
    step: int,
) -> None:
    window = data.draw(search_window())
    busy = data.draw(busy_times(window))
    people = [person(z, h) for z, h in zip(zones, hours, strict=True)]
    slots = find_slots(
        people,
        busy,
        window=window,
        duration=timedelta(minutes=duration),
        step=timedelta(minutes=step),
        limit=40,
    )
    event("slots found" if slots else "no slot")
    for slot in slots:
        assert window.start <= slot.start
        assert slot.end <= window.end
        assert slot.end - slot.start == timedelta(minutes=duration)
        assert (slot.start - datetime(1970, 1, 1, tzinfo=UTC)) % timedelta(minutes=step) == timedelta(0)
        assert not any(slot.overlaps(b) for b in busy)
        for zone, raw in zip(zones, hours, strict=True):
            assert slot_is_working(raw, ZoneInfo(zone), slot)
    assert [s.start for s in slots] == sorted({s.start for s in slots})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    zones=st.tuples(st.sampled_from(ZONES), st.sampled_from(ZONES)),
    hours=st.tuples(working_hours(minute_step=15), working_hours(minute_step=15)),
    data=st.data(),
    duration=st.sampled_from([30, 60]),
)
def test_no_free_grid_slot_is_missed(
    zones: tuple[str, str], hours: tuple[list[dict[str, Any]], ...], data: st.DataObject, duration: int
) -> None:
    window = data.draw(search_window(max_days=2))
    busy = data.draw(busy_times(window))
    people = [person(z, h) for z, h in zip(zones, hours, strict=True)]
    step = timedelta(minutes=30)
    found = {
        s.start
        for s in find_slots(
            people, busy, window=window, duration=timedelta(minutes=duration), step=step, limit=10_000
        )
    }
    at = window.start + (-(window.start - datetime(1970, 1, 1, tzinfo=UTC))) % step
    while at + timedelta(minutes=duration) <= window.end:
        slot = Interval(at, at + timedelta(minutes=duration))
        free = not any(slot.overlaps(b) for b in busy) and all(
            slot_is_working(raw, ZoneInfo(zone), slot, every=15)
            for zone, raw in zip(zones, hours, strict=True)
        )
        assert (at in found) == free, at
        event("free grid slot" if free else "busy or off-hours grid slot")
        at += step


@st.composite
def calendar_events(draw: st.DrawFn, zone: str, week: datetime) -> list[Interval]:
    """Meetings written in the person's own wall-clock time in a DST week, to the second, with either
    reading of an hour that happens twice (`fold`) and times that do not exist (spring forward)."""
    tz = ZoneInfo(zone)
    events = []
    for _ in range(draw(st.integers(0, 8))):
        local = (week + timedelta(seconds=draw(st.integers(0, 4 * 24 * 3600)))).replace(
            tzinfo=tz, fold=draw(st.integers(0, 1))
        )
        start = local.astimezone(UTC)
        events.append(Interval(start, start + timedelta(seconds=draw(st.integers(60, 4 * 3600)))))
    return events


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    zones=st.tuples(st.sampled_from(ZONES), st.sampled_from(ZONES)),
    hours=st.tuples(working_hours(minute_step=15), working_hours(minute_step=15)),
    week=st.sampled_from(DST_WEEKS),
    data=st.data(),
    duration=st.sampled_from([15, 45, 60, 120]),
    step=st.sampled_from([15, 30]),
)
def test_no_slot_overlaps_either_calendar_across_dst(
    zones: tuple[str, str],
    hours: tuple[list[dict[str, Any]], ...],
    week: datetime,
    data: st.DataObject,
    duration: int,
    step: int,
) -> None:
    """Two people's calendars (busy intervals from the gateway, merged with sessions in the service)
    around the DST changes of any zones: no proposed slot overlaps any busy interval of either calendar,
    every slot is working time for both, and no free grid slot is left out."""
    participant_busy = data.draw(calendar_events(zones[0], week))
    provider_busy = data.draw(calendar_events(zones[1], week))
    busy = participant_busy + provider_busy
    window = Interval(week.replace(tzinfo=UTC), week.replace(tzinfo=UTC) + timedelta(days=4))
    people = [person(z, h) for z, h in zip(zones, hours, strict=True)]
    length = timedelta(minutes=duration)
    found = find_slots(people, busy, window=window, duration=length, step=timedelta(minutes=step), limit=500)
    for slot in found:
        assert not any(slot.overlaps(b) for b in participant_busy)
        assert not any(slot.overlaps(b) for b in provider_busy)
        for zone, raw in zip(zones, hours, strict=True):
            assert slot_is_working(raw, ZoneInfo(zone), slot)
    expected = []
    at = window.start
    while at + length <= window.end:
        slot = Interval(at, at + length)
        if not any(slot.overlaps(b) for b in busy) and all(
            slot_is_working(raw, ZoneInfo(zone), slot, every=15)
            for zone, raw in zip(zones, hours, strict=True)
        ):
            expected.append(slot.start)
        at += timedelta(minutes=step)
    event("slots found" if found else "no slot")
    assert [s.start for s in found] == expected[:500]


@settings(max_examples=150, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    hours=working_hours(),
    week=st.sampled_from(DST_WEEKS + OTHER_WEEKS),
    start=st.integers(0, 7 * 24 * 4),
    quarters=st.integers(1, 16),
)
def test_booking_check_by_quarter_hours_agrees_with_minutes(
    zone: str, hours: list[dict[str, Any]], week: datetime, start: int, quarters: int
) -> None:
    """A booking on the quarter hour is checked in 15-minute cells (4 an hour, not 60): same answer."""
    who = person(zone, hours)
    begin = week.replace(tzinfo=UTC) + timedelta(minutes=15 * start)
    interval = Interval(begin, begin + timedelta(minutes=15 * quarters))
    by_minute = within_working_hours(who, interval, cell=timedelta(minutes=1))
    event("working" if by_minute else "not working")
    assert within_working_hours(who, interval) == by_minute
