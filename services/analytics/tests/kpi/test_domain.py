import random
import statistics
from dataclasses import replace

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
    secondary_suppression,
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
    outcome = guard_change(_published(after), dict.fromkeys(before), k=K)  # type: ignore[arg-type]
    small_move = any(0 < abs(after - p) < K for p in before)
    assert (outcome.status == "suppressed") == small_move


@pytest.mark.parametrize(
    ("published", "members", "status"),
    [(111, 111, "green"), (111, 222, "suppressed"), (None, 222, "green"), (111, None, "green")],
    ids=["same-people", "other-people", "published-before-fingerprints", "not-fingerprinted"],
)
def test_same_count_with_other_people_is_suppressed(
    published: int | None, members: int | None, status: str
) -> None:
    outcome = replace(_published(10), members=members)  # type: ignore[type-var]
    assert guard_change(outcome, {10: published, 30: None}, k=K).status == status


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


# Secondary suppression: the parts of a whole, and what subtracting the published ones leaves.

populations = st.dictionaries(st.sampled_from("ABCDEFGH"), st.none() | st.integers(0, 40), max_size=8)


def _uncovered(whole: int, parts: dict[str, int | None], out: frozenset[str]) -> int:
    return whole - sum(n or 0 for key, n in parts.items() if key not in out)


def test_the_attack_through_two_published_programs_is_refused() -> None:
    # A 100, B 100, C 3: all minus A is 103, all minus B is 103, but all minus A minus B is C's 3.
    found = secondary_suppression(203, {"A": 100, "B": 100, "C": 3}, K)
    assert found.parts == {"A", "C"}  # the tie goes to the smallest key
    assert not found.whole


def test_the_smallest_published_part_goes_first() -> None:
    # 170 - 100 - 60 - 7 is C's 3: D, the smallest published part, goes too (170 - 100 - 60 = 10).
    found = secondary_suppression(170, {"A": 100, "B": 60, "C": 3, "D": 7}, K)
    assert found.parts == {"C", "D"}
    # Someone in two parts makes the sum larger: 166 - 100 - 60 - 7 < 0, nothing small is left over.
    assert secondary_suppression(166, {"A": 100, "B": 60, "C": 3, "D": 7}, K).parts == {"C"}


@given(whole=st.integers(0, 200), parts=populations, k=st.integers(2, 12))
def test_published_parts_never_leave_a_small_group_uncovered(
    whole: int, parts: dict[str, int | None], k: int
) -> None:
    found = secondary_suppression(whole, parts, k)
    uncovered = _uncovered(whole, parts, found.parts)
    assert found.whole or not 0 < uncovered < k
    if found.whole:  # only with no part left to suppress: the whole alone is that small
        assert 0 < whole < k
        assert found.parts == {key for key, n in parts.items() if n}


@given(
    whole=st.integers(0, 200),
    parts=populations,
    k=st.integers(2, 12),
    withheld=st.sets(st.sampled_from("AB")),
)
def test_primary_suppressed_parts_stay_suppressed(
    whole: int, parts: dict[str, int | None], k: int, withheld: set[str]
) -> None:
    found = secondary_suppression(whole, parts, k, withheld=withheld)
    for key, n in parts.items():
        if n and (n < k or 0 < whole - n < k or key in withheld):
            assert key in found.parts
        if not n:
            assert key not in found.parts  # nobody behind it: nothing to suppress


@given(whole=st.integers(0, 200), parts=populations, k=st.integers(2, 12), seed=st.integers(0, 1000))
def test_verdict_does_not_depend_on_order(
    whole: int, parts: dict[str, int | None], k: int, seed: int
) -> None:
    shuffled = list(parts.items())
    random.Random(seed).shuffle(shuffled)
    assert secondary_suppression(whole, dict(shuffled), k) == secondary_suppression(whole, parts, k)


@given(parts=st.dictionaries(st.sampled_from("ABCDEFGH"), st.integers(5, 40), max_size=8))
def test_nothing_is_suppressed_when_no_part_is_small(parts: dict[str, int]) -> None:
    # The parts split the whole (no one outside them): every rest is 0 or k or more.
    found = secondary_suppression(sum(parts.values()), parts, K)
    assert found.parts == frozenset()
    assert not found.whole


def test_a_whole_without_people_suppresses_nothing() -> None:
    assert secondary_suppression(None, {"A": 3}, K).parts == frozenset()
