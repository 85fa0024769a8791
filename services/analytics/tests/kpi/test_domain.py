from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandem_analytics.kpi.domain import (
    DEFINITIONS,
    Better,
    Measure,
    ProgramCounts,
    compute,
    evaluate,
)

counts = st.integers(min_value=0, max_value=10_000)
K = 5


def outcome(name: str, c: ProgramCounts, k: int = K) -> tuple[str, float | None, float | None, float | None]:
    o = next(o for o in compute(c, k=k) if o.definition.name == name)
    return o.status, o.value, o.numerator, o.denominator


def test_seed_baselines_and_targets() -> None:
    ratio, util = DEFINITIONS["coach_to_coachee_ratio"], DEFINITIONS["coach_utilization"]
    assert (ratio.baseline, ratio.target, ratio.better) == (25, 15, "lower")
    assert (util.baseline, util.target, util.better) == (0.40, 0.70, "higher")
    assert DEFINITIONS["attendance_rate"].target == 0.80
    assert DEFINITIONS["time_to_first_session"].target == 7


def test_coach_to_coachee_ratio_value() -> None:
    c = ProgramCounts(active_coaches=2, active_coachees=30)
    assert outcome("coach_to_coachee_ratio", c) == ("ok", 15.0, 30, 2)


def test_utilization_value() -> None:
    c = ProgramCounts(active_coachees=6, active_coach_matches=7, coach_capacity=10)
    assert outcome("coach_utilization", c) == ("ok", 0.7, 7, 10)


def test_completion_rate_value() -> None:
    c = ProgramCounts(sessions_completed=6, sessions_no_show=1, session_participants=6)
    assert outcome("session_completion_rate", c) == ("ok", 0.8571, 6, 7)


def test_zero_denominators_are_insufficient_data_not_errors() -> None:
    results = compute(ProgramCounts(), k=K)
    assert {o.definition.name: (o.status, o.value) for o in results} == dict.fromkeys(
        DEFINITIONS, ("insufficient_data", None)
    )


def test_fewer_than_k_people_suppresses_everything() -> None:
    c = ProgramCounts(active_coaches=1, active_coachees=4, active_coach_matches=4, coach_capacity=10)
    assert outcome("coach_to_coachee_ratio", c) == ("suppressed", None, None, None)
    assert outcome("coach_utilization", c) == ("suppressed", None, None, None)
    assert outcome("coach_utilization", c, k=4) == ("ok", 0.4, 4, 10)


@pytest.mark.parametrize(
    ("value", "target", "better", "meets"),
    [
        (0.8, 0.8, "higher", True),
        (0.79, 0.8, "higher", False),
        (15.0, 15, "lower", True),
        (16.0, 15, "lower", False),
    ],
)
def test_meets_target(value: float, target: float, better: Better, meets: bool) -> None:
    definition = replace(DEFINITIONS["coach_utilization"], target=target, better=better)
    o = evaluate(definition, Measure(value * 100, 100, population=10), k=K)
    assert (o.value, o.meets_target) == (value, meets)


def test_meets_target_unknown_without_target_or_value() -> None:
    no_target = evaluate(DEFINITIONS["session_completion_rate"], Measure(1, 2, population=10), k=K)
    no_value = evaluate(DEFINITIONS["coach_utilization"], Measure(0, 0, population=0), k=K)
    assert (no_target.meets_target, no_value.meets_target) == (None, None)


@given(completed=counts, no_show=counts, people=counts)
def test_completion_rate_is_a_fraction(completed: int, no_show: int, people: int) -> None:
    c = ProgramCounts(sessions_completed=completed, sessions_no_show=no_show, session_participants=people)
    status, value, _num, _den = outcome("session_completion_rate", c)
    if 0 < people < K:
        assert (status, value) == ("suppressed", None)
    elif completed + no_show == 0:
        assert (status, value) == ("insufficient_data", None)
    else:
        assert status == "ok"
        assert value is not None
        assert 0.0 <= value <= 1.0
        assert value == round(completed / (completed + no_show), 4)


@given(coaches=counts, coachees=counts)
def test_ratio_bounds(coaches: int, coachees: int) -> None:
    status, value, _num, _den = outcome("coach_to_coachee_ratio", ProgramCounts(coaches, coachees))
    if 0 < coachees < K:
        assert status == "suppressed"
    elif coaches == 0:
        assert status == "insufficient_data"
    else:
        assert value is not None
        assert 0.0 <= value <= coachees
        assert abs(value * coaches - coachees) <= coaches * 0.00005 + 1e-9


@given(
    numerator=st.floats(min_value=0, max_value=1e6, allow_nan=False),
    denominator=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    population=counts,
    k=st.integers(min_value=1, max_value=50),
)
def test_no_value_ever_leaks_below_k(numerator: float, denominator: float, population: int, k: int) -> None:
    o = evaluate(DEFINITIONS["coach_utilization"], Measure(numerator, denominator, population), k=k)
    if 0 < population < k:
        assert (o.status, o.value, o.numerator, o.denominator) == ("suppressed", None, None, None)
    elif denominator <= 0:
        assert (o.status, o.value) == ("insufficient_data", None)
    else:
        assert o.status == "ok"
        assert o.value is not None
