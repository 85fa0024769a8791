"""Checkpoint due dates on the participant's calendar, across daylight-saving changes and zones."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from tandem_scheduling.cadence.domain import (
    MENTORING_MILESTONE_WEEKS,
    add_months,
    checkpoint_dues,
    checkpoint_every_weeks,
    planned_sessions,
)

# Zones with DST in either hemisphere, a switch at local midnight (Santiago, Havana), a half-hour
# offset (Kolkata, no DST), a 45-minute one with DST (Chatham), and UTC.
ZONES = [
    "America/New_York",
    "Europe/Berlin",
    "Australia/Sydney",
    "America/Santiago",
    "America/Havana",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "UTC",
]
MICRO = timedelta(microseconds=1)

approvals = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)


@given(
    approved_at=approvals,
    zone=st.sampled_from(ZONES),
    every=st.sampled_from([4, 5, 6, MENTORING_MILESTONE_WEEKS]),
    months=st.integers(min_value=3, max_value=12),
    grace=st.integers(min_value=0, max_value=14),
)
def test_each_checkpoint_ends_its_local_day_whole_weeks_apart(
    approved_at: datetime, zone: str, every: int, months: int, grace: int
) -> None:
    tz = ZoneInfo(zone)
    start = approved_at.astimezone(tz).date()
    dues = checkpoint_dues(approved_at, zone, every_weeks=every, planned_months=months, grace_days=grace)
    last = add_months(start, months)
    days = [start + timedelta(weeks=every * k) for k in range(1, len(dues) + 1)]
    # Exactly the whole-week dates inside the planned months: the next one would fall outside.
    assert all(day <= last for day in days)
    assert start + timedelta(weeks=every * (len(dues) + 1)) > last
    for day, due in zip(days, dues, strict=True):
        # Due when the (grace-shifted) local day ends, even when that midnight is skipped by DST.
        assert (due - MICRO).astimezone(tz).date() == day + timedelta(days=grace)
        assert due.astimezone(tz).date() == day + timedelta(days=grace + 1)
        assert due > approved_at


@given(approved_at=approvals, zone=st.sampled_from(ZONES))
def test_a_coaching_sprint_has_two_reviews_and_mentoring_four_milestones(
    approved_at: datetime, zone: str
) -> None:
    assert len(checkpoint_dues(approved_at, zone, every_weeks=6, planned_months=3)) == 2
    assert len(checkpoint_dues(approved_at, zone, every_weeks=4, planned_months=4)) == 4
    assert (
        len(checkpoint_dues(approved_at, zone, every_weeks=MENTORING_MILESTONE_WEEKS, planned_months=12)) == 4
    )


def test_new_york_spring_forward_shortens_the_interval_by_an_hour() -> None:
    approved = datetime(2027, 2, 1, 15, 0, tzinfo=UTC)  # 10:00 in New York, winter time
    first, second, third = checkpoint_dues(approved, "America/New_York", every_weeks=4, planned_months=3)
    assert first == datetime(2027, 3, 2, 5, 0, tzinfo=UTC)  # midnight EST ending March 1
    assert second == datetime(2027, 3, 30, 4, 0, tzinfo=UTC)  # midnight EDT ending March 29
    assert third - second == timedelta(weeks=4)


def test_the_participants_date_not_utcs_decides() -> None:
    # 23:30 on Jan 31 in New York is already Feb 1 in UTC: the review counts from Jan 31.
    approved = datetime(2027, 2, 1, 4, 30, tzinfo=UTC)
    [first, *_] = checkpoint_dues(approved, "America/New_York", every_weeks=6, planned_months=3)
    assert first.astimezone(ZoneInfo("America/New_York")).date() == date(2027, 3, 15)


@given(day=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)), months=st.integers(0, 24))
def test_add_months_keeps_the_day_or_clamps_to_the_month_end(day: date, months: int) -> None:
    later = add_months(day, months)
    assert (later.year * 12 + later.month) - (day.year * 12 + day.month) == months
    assert later.day == day.day or (later.day < day.day and (later + timedelta(days=1)).day == 1)


def test_review_cadence_follows_the_policy_for_coaching_only() -> None:
    assert checkpoint_every_weeks("coach", 6, 4) == 4
    assert checkpoint_every_weeks("coach", 6, None) == 6
    assert checkpoint_every_weeks("mentor", 13, 4) == MENTORING_MILESTONE_WEEKS


def test_planned_sessions_per_track() -> None:
    coaching, mentoring = planned_sessions("coach", "coach"), planned_sessions("mentor", "mentor")
    assert (coaching.low, coaching.high) == (8, 12)
    assert (mentoring.low, mentoring.high) == (9, 12)
