import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandem_analytics.kpi.domain import (
    CATALOG,
    Direction,
    Measure,
    Targets,
    band,
    evaluate,
    guard_change,
    guard_complement,
    median_of_counts,
    seed_targets,
    target_on,
    threshold,
)

K = 5
ISSUE_NAMES = {
    "coach_to_coachee_ratio", "coach_utilization", "participant_nps", "promotion_rate",
    "manager_coaching_adoption", "business_kpi", "session_completion_rate", "attendance_rate",
    "reassignment_rate", "sponsor_actions_per_mentee", "participant_rating_median", "sla_adherence",
    "time_to_first_session",
}  # fmt: skip


def test_catalog_has_every_name_of_the_issue_and_each_layer() -> None:
    layers = {f"sla_adherence.{layer}" for layer in ("coaching", "mentoring", "network")}
    assert set(CATALOG) == ISSUE_NAMES | layers


def test_seed_table_values() -> None:
    seeds = {
        name: (d.type, d.baseline, d.target_6m, d.target_12m, d.frequency, d.owner, d.direction)
        for name, d in CATALOG.items()
        if name in ("coach_to_coachee_ratio", "coach_utilization", "participant_nps", "promotion_rate",
                    "manager_coaching_adoption", "business_kpi")
    }  # fmt: skip
    assert seeds == {
        "coach_to_coachee_ratio": ("operational", 25, 20, 15, "quarterly", "Coaching Ops", "lower"),
        "coach_utilization": ("operational", 0.40, 0.55, 0.70, "monthly", "Program Manager", "higher"),
        "participant_nps": ("experience", 22, 33.5, 45, "after_cohort", "L&D Analytics", "higher"),
        "promotion_rate": ("lagging", 0.08, 0.11, 0.14, "annually", "Talent & Succession", "higher"),
        "manager_coaching_adoption": ("leading", 0.28, 0.44, 0.60, "quarterly", "People Managers", "higher"),
        "business_kpi": ("lagging", 72, 75, 78, "quarterly", "Product / Ops", "higher"),
    }


UTIL = seed_targets(CATALOG["coach_utilization"])  # 0.40 -> 0.55 (6 months) -> 0.70 (12 months)


@pytest.mark.parametrize(
    ("months", "target"),
    [(None, 0.70), (0, 0.40), (3, 0.475), (6, 0.55), (9, 0.625), (12, 0.70), (30, 0.70), (-2, 0.40)],
    ids=["unknown-start", "start", "m3", "m6", "m9", "m12", "m30", "before-start"],
)
def test_targets_by_date_interpolate(months: float | None, target: float) -> None:
    assert target_on(UTIL, months) == target


def test_without_baseline_the_6_month_target_holds_until_month_6() -> None:
    t = Targets(baseline=None, target_6m=0.8, target_12m=0.9)
    assert [target_on(t, m) for m in (0, 5.9, 6, 9, 12)] == [0.8, 0.8, 0.8, 0.85, 0.9]


@pytest.mark.parametrize(
    ("value", "status"),
    [(0.70, "green"), (0.80, "green"), (0.67, "amber"), (0.6699, "red"), (0.30, "red")],
    ids=["at-target", "above", "band-edge", "just-below-band", "far"],
)
def test_band_higher_is_better(value: float, status: str) -> None:
    # Amber band: 10 % of 0.40 -> 0.70 = 0.03 below the target.
    assert band(value, 0.70, UTIL, "higher") == status


@pytest.mark.parametrize(
    ("value", "status"), [(15, "green"), (16, "amber"), (16.01, "red")], ids=["target", "band", "beyond"]
)
def test_band_lower_is_better(value: float, status: str) -> None:
    ratio = seed_targets(CATALOG["coach_to_coachee_ratio"])  # 25 -> 15: band 1
    assert band(value, 15, ratio, "lower") == status


def test_configurable_amber_band() -> None:
    wide = Targets(0.40, 0.55, 0.70, amber_band=0.5)
    assert band(0.56, 0.70, wide, "higher") == "amber"
    assert band(0.56, 0.70, UTIL, "higher") == "red"


@given(
    value=st.floats(-1e6, 1e6),
    target=st.floats(-1e3, 1e3),
    baseline=st.floats(-1e3, 1e3) | st.none(),
    amber=st.floats(0, 1),
    direction=st.sampled_from(["higher", "lower"]),
)
def test_band_is_monotonic(
    value: float, target: float, baseline: float | None, amber: float, direction: Direction
) -> None:
    t = Targets(baseline, target, target, amber)
    rank = {"red": 0, "amber": 1, "green": 2}
    better = value + 1 if direction == "higher" else value - 1
    assert rank[band(better, target, t, direction)] >= rank[band(value, target, t, direction)]


def test_survey_figures_need_ten_people() -> None:
    nps = CATALOG["participant_nps"]
    assert threshold(nps, K) == 10
    assert (
        evaluate(nps, Measure(5, 9, 9, scale=100), seed_targets(nps), k=K, months=None).status == "suppressed"
    )
    assert evaluate(nps, Measure(5, 10, 10, scale=100), seed_targets(nps), k=K, months=None).value == 50.0


def test_zero_people_is_insufficient_data_and_few_people_suppressed() -> None:
    ratio = CATALOG["coach_to_coachee_ratio"]
    t = seed_targets(ratio)
    assert evaluate(ratio, Measure(0, 0, 0), t, k=K, months=None).status == "insufficient_data"
    few = evaluate(ratio, Measure(4, 1, 4), t, k=K, months=None)
    assert (few.status, few.value, few.numerator, few.denominator) == ("suppressed", None, None, None)


def test_imported_figure_has_no_people_and_is_never_suppressed() -> None:
    b = CATALOG["business_kpi"]
    assert evaluate(b, Measure(None, 1, None, value=71.0), seed_targets(b), k=K, months=None).status == "red"


def _published(population: int) -> object:
    ratio = CATALOG["coach_to_coachee_ratio"]
    return evaluate(ratio, Measure(population, 1, population), seed_targets(ratio), k=K, months=None)


@pytest.mark.parametrize(
    ("part", "whole", "status"),
    [(10, 10, "green"), (10, 11, "suppressed"), (10, 14, "suppressed"), (10, 15, "green")],
    ids=["whole", "rest-1", "rest-4", "rest-5"],
)
def test_complement_rule(part: int, whole: int, status: str) -> None:
    outcome = guard_complement(_published(part), whole, k=K)  # type: ignore[arg-type]
    assert outcome.status == status


@given(before=st.sets(st.integers(5, 100), max_size=6), after=st.integers(5, 100))
def test_change_rule_against_every_published_population(before: set[int], after: int) -> None:
    outcome = guard_change(_published(after), before, k=K)  # type: ignore[arg-type]
    small_move = any(0 < abs(after - p) < K for p in before)
    assert (outcome.status == "suppressed") == small_move


def test_median_of_counts_of_nothing_is_none() -> None:
    assert median_of_counts({}) is None
    assert median_of_counts({4: 0}) is None


def test_median_of_counts_takes_the_mean_of_the_two_middle_values() -> None:
    assert median_of_counts({2: 1, 3: 1, 4: 1, 5: 1}) == 3.5
    assert median_of_counts({1: 3, 5: 2}) == 1.0


@given(st.lists(st.integers(1, 5), min_size=1, max_size=200))
def test_median_of_counts_is_the_median_of_the_values(values: list[int]) -> None:
    counts = {v: values.count(v) for v in set(values)}
    assert median_of_counts(counts) == statistics.median(values)
