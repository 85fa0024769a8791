"""Participants against matched non-participants (seed 000 §1, seed 004 §6 pillar 2), as pure functions.

Coarsened exact matching (Iacus, King and Porro): each person falls in a stratum of coarsened
covariates (role level, department, tenure band, project-complexity band); strata without both a
participant and a non-participant are dropped; a kept non-participant is weighted by
(participants / non-participants in its stratum) x (matched non-participants / matched participants),
so the comparison group has the participants' covariate mix. The effect on the participants (ATT) is
then the treatment coefficient of a weighted least-squares regression of the outcome on participation,
with a heteroskedasticity-robust (HC1) confidence interval, from statsmodels.
"""

from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np

CONFIDENCE = 0.95
TENURE_BANDS = ((1, "<1y"), (3, "1-3y"), (5, "3-5y"), (10, "5-10y"))
UNRATED = "unrated"
Status = Literal["ok", "suppressed", "insufficient_data"]


def tenure_band(hire_date: date | None, on: date) -> str:
    """Coarsened tenure on `on`; an unknown hire date is its own band."""
    if hire_date is None:
        return "unknown"
    years = (on - hire_date).days / 365.25
    for bound, label in TENURE_BANDS:
        if years < bound:
            return label
    return "10y+"


@dataclass(frozen=True)
class Unit:
    """One person: in the program or not, their coarsened covariates, and the outcome (0/1 or a value)."""

    treated: bool
    stratum: Hashable
    outcome: float


@dataclass(frozen=True)
class Estimate:
    effect: float
    low: float
    high: float


@dataclass(frozen=True)
class Matched:
    treated: int
    controls: int
    strata: int
    unmatched_treated: int
    unmatched_controls: int
    treated_mean: float | None
    control_mean: float | None
    estimate: Estimate | None


def weighted_difference(
    outcomes: Sequence[float], treated: Sequence[bool], weights: Sequence[float]
) -> Estimate:
    """The treatment coefficient of y ~ 1 + treated (WLS) with its HC1 confidence interval."""
    # Imported on first use: statsmodels (with pandas) costs seconds of import, which every start of
    # the service would pay for an endpoint most processes never serve.
    from statsmodels.regression.linear_model import WLS
    from statsmodels.tools.tools import add_constant

    y = np.asarray(outcomes, dtype=float)
    x = add_constant(np.asarray(treated, dtype=float), has_constant="add")
    fit = WLS(y, x, weights=np.asarray(weights, dtype=float)).fit(cov_type="HC1")
    low, high = fit.conf_int(alpha=1 - CONFIDENCE)[1]
    return Estimate(effect=float(fit.params[1]), low=float(low), high=float(high))


def coarsened_exact_match(units: Sequence[Unit]) -> Matched:
    """Match on the strata, weight the comparison group, estimate the effect on the participants."""
    counts: dict[Hashable, list[int]] = defaultdict(lambda: [0, 0])
    for u in units:
        counts[u.stratum][0 if u.treated else 1] += 1
    kept = {s for s, (t, c) in counts.items() if t and c}
    matched = [u for u in units if u.stratum in kept]
    n_treated = sum(1 for u in matched if u.treated)
    n_controls = len(matched) - n_treated
    all_treated = sum(1 for u in units if u.treated)
    unmatched = (all_treated - n_treated, len(units) - all_treated - n_controls)
    if not n_treated:
        return Matched(0, 0, 0, *unmatched, None, None, None)
    weights = [
        1.0 if u.treated else (counts[u.stratum][0] / counts[u.stratum][1]) * (n_controls / n_treated)
        for u in matched
    ]
    outcomes = [u.outcome for u in matched]
    flags = [u.treated for u in matched]
    treated_mean = float(np.mean([u.outcome for u in matched if u.treated]))
    control_w = [(w, u.outcome) for w, u in zip(weights, matched, strict=True) if not u.treated]
    control_mean = sum(w * y for w, y in control_w) / sum(w for w, _ in control_w)
    estimate = weighted_difference(outcomes, flags, weights)
    return Matched(
        treated=n_treated,
        controls=n_controls,
        strata=len(kept),
        unmatched_treated=unmatched[0],
        unmatched_controls=unmatched[1],
        treated_mean=treated_mean,
        control_mean=control_mean,
        estimate=estimate,
    )


@dataclass(frozen=True)
class SegmentEffect:
    """Difference in differences over segments: the participants' segments' change against the others'."""

    treated_segments: int
    comparison_segments: int
    treated_change: float | None
    comparison_change: float | None
    estimate: Estimate | None


def segment_difference(changes: dict[str, float], treated: set[str]) -> SegmentEffect:
    """`changes`: each segment's follow-up minus baseline value; `treated`: the participants' segments."""
    t = [v for s, v in changes.items() if s in treated]
    c = [v for s, v in changes.items() if s not in treated]
    treated_change = float(np.mean(t)) if t else None
    comparison_change = float(np.mean(c)) if c else None
    estimate = None
    # A robust interval needs spread on both sides: at least two segments in each group.
    if len(t) >= 2 and len(c) >= 2:
        estimate = weighted_difference(t + c, [True] * len(t) + [False] * len(c), [1.0] * (len(t) + len(c)))
    return SegmentEffect(len(t), len(c), treated_change, comparison_change, estimate)
