from datetime import date

import numpy as np
import pytest

from tandem_analytics.comparison import domain
from tandem_analytics.comparison.domain import Unit


def synthetic(effect: float, *, people: int = 4000, seed: int = 7) -> list[Unit]:
    """Promotion depends on level and complexity; senior people on complex projects join the program
    far more often, so a naive comparison is biased upwards. `effect` is planted on the participants."""
    rng = np.random.default_rng(seed)
    level = rng.integers(1, 5, people)
    complexity = rng.integers(0, 3, people)
    department = rng.integers(0, 3, people)
    joins = rng.random(people) < 0.02 + 0.12 * (level - 1) + 0.06 * complexity
    chance = 0.02 + 0.07 * (level - 1) + 0.04 * complexity + np.where(joins, effect, 0.0)
    promoted = rng.random(people) < chance
    return [
        Unit(treated=bool(j), stratum=(int(lv), int(d), int(c)), outcome=float(p))
        for j, lv, d, c, p in zip(joins, level, department, complexity, promoted, strict=True)
    ]


def naive(units: list[Unit]) -> float:
    treated = [u.outcome for u in units if u.treated]
    others = [u.outcome for u in units if not u.treated]
    return float(np.mean(treated) - np.mean(others))


def test_a_planted_effect_is_recovered_within_its_interval() -> None:
    units = synthetic(0.10)

    matched = domain.coarsened_exact_match(units)

    assert matched.estimate is not None
    assert matched.estimate.low <= 0.10 <= matched.estimate.high
    assert matched.estimate.low > 0
    # The naive difference carries the confounding; matching takes most of it out.
    assert abs(matched.estimate.effect - 0.10) < abs(naive(units) - 0.10)
    assert matched.strata == 36
    assert matched.treated + matched.unmatched_treated == sum(u.treated for u in units)


def test_a_null_effect_interval_covers_zero() -> None:
    units = synthetic(0.0, seed=11)

    matched = domain.coarsened_exact_match(units)

    assert matched.estimate is not None
    assert matched.estimate.low <= 0.0 <= matched.estimate.high
    assert naive(units) > 0.03  # what an unmatched comparison would have claimed


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_the_interval_covers_the_planted_effect_across_samples(seed: int) -> None:
    matched = domain.coarsened_exact_match(synthetic(0.10, seed=seed))

    assert matched.estimate is not None
    assert matched.estimate.low <= 0.10 <= matched.estimate.high


def test_strata_without_both_groups_are_dropped_and_weights_balance_the_mix() -> None:
    units = [
        Unit(True, "a", 1.0),
        Unit(False, "a", 0.0),
        Unit(False, "a", 0.0),
        Unit(True, "b", 0.0),
        Unit(False, "b", 1.0),
        Unit(True, "c", 1.0),  # no comparison in c
        Unit(False, "d", 1.0),  # no participant in d
    ]

    matched = domain.coarsened_exact_match(units)

    assert (matched.treated, matched.controls, matched.strata) == (2, 3, 2)
    assert (matched.unmatched_treated, matched.unmatched_controls) == (1, 1)
    # Participants: one promoted of two. Comparison, re-weighted to one per stratum: (0 + 1) / 2.
    assert matched.treated_mean == 0.5
    assert matched.control_mean == pytest.approx(0.5)
    assert matched.estimate is not None
    assert matched.estimate.effect == pytest.approx(0.0)


def test_tenure_bands() -> None:
    on = date(2026, 1, 1)

    assert domain.tenure_band(date(2025, 6, 1), on) == "<1y"
    assert domain.tenure_band(date(2023, 6, 1), on) == "1-3y"
    assert domain.tenure_band(date(2012, 6, 1), on) == "10y+"
    assert domain.tenure_band(None, on) == "unknown"


def test_segment_difference_in_differences() -> None:
    changes = {"emea": 6.0, "apac": 5.0, "na": 1.0, "latam": 2.0, "anz": 0.0}

    effect = domain.segment_difference(changes, {"emea", "apac"})

    assert (effect.treated_change, effect.comparison_change) == (5.5, 1.0)
    assert effect.estimate is not None
    assert effect.estimate.effect == pytest.approx(4.5)
    assert effect.estimate.low < 4.5 < effect.estimate.high
    assert domain.segment_difference(changes, {"emea"}).estimate is None
