"""Sponsor-action rules (pure): which dates a log entry may carry, the week-15 gate, the 18-month window.

Seed 004 §5 measures a mentor's network reach by documented introductions in the last 18 months; the
pilot's week-15 gate (§7) wants at least one sponsor action logged per mentee.
"""

import calendar
from collections.abc import Iterable
from datetime import date, timedelta
from enum import StrEnum

WEEK_15 = timedelta(weeks=15)
WINDOW_MONTHS = 18


class Kind(StrEnum):
    INTRODUCTION = "introduction"
    ADVOCACY = "advocacy"
    STRETCH_ASSIGNMENT = "stretch_assignment"
    RESOURCE_SECURED = "resource_secured"


class Outcome(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    NO_RESULT = "no_result"


def date_problem(action_date: date, *, approved_on: date, ended_on: date | None, today: date) -> str | None:
    """Why `action_date` cannot be logged for a match approved on `approved_on` (and ended on
    `ended_on`), or None: a sponsor action belongs to the mentoring relationship and has happened."""
    if action_date > today:
        return "A sponsor action is logged once it happened: the date is in the future."
    if action_date < approved_on:
        return "The date is before the mentor match was approved."
    if ended_on is not None and action_date > ended_on:
        return "The date is after the mentor match ended."
    return None


def week_15_ends(approved_on: date) -> date:
    """The first day after week 15 of the match (weeks counted from the approval day)."""
    return approved_on + WEEK_15


def by_week_15(approved_on: date, action_dates: Iterable[date]) -> bool:
    """At least one (not retracted) sponsor action dated within the first 15 weeks of the match."""
    end = week_15_ends(approved_on)
    return any(approved_on <= d < end for d in action_dates)


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (clamped to the month's last day)."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def window_start(today: date) -> date:
    """The first day of the sponsorship signal's window: the last 18 months, today included."""
    return months_before(today, WINDOW_MONTHS)
