from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tandem_matching.sponsor import domain

DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@given(approved=DAYS, offset=st.integers(min_value=-30, max_value=200))
def test_week_15_holds_for_exactly_the_first_105_days(approved: date, offset: int) -> None:
    assert domain.by_week_15(approved, [approved + timedelta(days=offset)]) is (0 <= offset < 105)


def test_week_15_needs_an_action() -> None:
    assert domain.by_week_15(date(2026, 1, 5), []) is False


@given(day=DAYS)
def test_the_window_is_18_calendar_months(day: date) -> None:
    start = domain.window_start(day)
    assert (day.year * 12 + day.month) - (start.year * 12 + start.month) == 18
    assert start.day == day.day or (start.day < day.day and (start + timedelta(days=1)).day == 1)


def test_window_clamps_to_month_end() -> None:
    assert domain.window_start(date(2026, 8, 31)) == date(2025, 2, 28)


@given(approved=DAYS, offset=st.integers(min_value=-10, max_value=10), ended=st.booleans())
def test_date_problem_edges(approved: date, offset: int, ended: bool) -> None:
    today = approved + timedelta(days=5)
    ended_on = approved + timedelta(days=3) if ended else None
    action = approved + timedelta(days=offset)
    problem = domain.date_problem(action, approved_on=approved, ended_on=ended_on, today=today)
    allowed = 0 <= offset <= (3 if ended else 5)
    assert (problem is None) is allowed
