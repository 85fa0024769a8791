"""The provider's own consent in the pure scorer and the vectorised ranking."""

import dataclasses
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem_matching.scoring.domain import (
    ALL_SIGNALS,
    DEFAULT_WEIGHTS,
    FilterReason,
    ParticipantProfile,
    ProviderProfile,
    Signal,
    WeightSet,
    hard_filter,
    score,
)
from tandem_matching.scoring.index import ProviderIndex, top_k

from .test_domain import (
    ALL,
    WEEK,
    consents,
    loop_ranking,
    participant,
    participants,
    provider,
    providers,
    random_pool,
    weight_sets,
)


@st.composite
def consenting_providers(draw: st.DrawFn) -> ProviderProfile:
    return dataclasses.replace(
        draw(providers()),
        matching_consent=draw(st.booleans()),
        consented_signals=draw(consents),
    )


def test_unconsented_provider_is_hard_filtered() -> None:
    assert hard_filter(participant(), provider()) == []
    assert hard_filter(participant(), provider(matching_consent=False)) == [FilterReason.PROVIDER_CONSENT]


def test_provider_exclusion_is_redistributed_for_that_pair_only() -> None:
    person = participant()
    partial = provider(consented_signals=ALL - {Signal.PAST_SUCCESS})
    breakdown = score(person, partial, DEFAULT_WEIGHTS, consented=ALL, week_of=WEEK)
    assert (breakdown.excluded, breakdown.provider_excluded) == (
        (Signal.PAST_SUCCESS,),
        (Signal.PAST_SUCCESS,),
    )
    assert breakdown.redistributed_weight == pytest.approx(10.0)
    assert breakdown.contributions[Signal.TECHNICAL_SKILLS].weight_used == pytest.approx(35 / 90 * 100)
    # A signal both sides left out is the participant's exclusion, not the provider's.
    both = score(person, partial, DEFAULT_WEIGHTS, consented=ALL - {Signal.PAST_SUCCESS}, week_of=WEEK)
    assert (both.excluded, both.provider_excluded) == ((Signal.PAST_SUCCESS,), ())
    assert both.total == pytest.approx(breakdown.total)


@given(participants(), consenting_providers(), weight_sets, consents)
def test_contributions_sum_to_the_score_with_exclusions_on_both_sides(
    person: ParticipantProfile, candidate: ProviderProfile, weights: WeightSet, consented: frozenset[Signal]
) -> None:
    breakdown = score(person, candidate, weights, consented=consented, week_of=WEEK)
    assert abs(sum(c.contribution for c in breakdown.contributions.values()) - breakdown.total) <= 1e-9
    assert set(breakdown.contributions) == consented & candidate.consented_signals
    assert set(breakdown.excluded) == set(ALL_SIGNALS) - set(breakdown.contributions)
    assert set(breakdown.provider_excluded) == consented - candidate.consented_signals
    if any(c.weight_used for c in breakdown.contributions.values()):
        assert math.fsum(c.weight_used for c in breakdown.contributions.values()) == pytest.approx(100.0)


@settings(max_examples=60)
@given(
    participants(),
    st.lists(consenting_providers(), max_size=12, unique_by=lambda p: p.id),
    weight_sets,
    consents,
    st.integers(1, 5),
)
def test_top_k_equals_the_per_pair_ranking_under_provider_consent(
    person: ParticipantProfile,
    pool: list[ProviderProfile],
    weights: WeightSet,
    consented: frozenset[Signal],
    k: int,
) -> None:
    index = ProviderIndex.build(pool, week_of=WEEK)
    totals = index.score_all(person, weights, consented=consented)
    exact = [score(person, p, weights, consented=consented, week_of=WEEK).total for p in pool]
    assert all(abs(a - b) <= 1e-6 for a, b in zip(totals.tolist(), exact, strict=True))
    assert index.admissible(person).tolist() == [not hard_filter(person, p) for p in pool]
    ranked = top_k(person, index, weights, consented=consented, k=k)
    expected = loop_ranking(person, pool, weights, consented, k, WEEK)
    assert [c.provider_id for c in ranked] == [pid for pid, _ in expected]
    assert all(
        c.breakdown.provider_excluded
        == tuple(
            s
            for s in ALL_SIGNALS
            if s in consented and s not in index.providers[index.row_of[c.provider_id]].consented_signals
        )
        for c in ranked
    )


@pytest.mark.parametrize("seed", [4, 5])
def test_vectorised_totals_equal_score_with_mixed_provider_consent(seed: int) -> None:
    rng = random.Random(seed)
    choices = [ALL, ALL - {Signal.PAST_SUCCESS}, ALL - {Signal.AVAILABILITY_OVERLAP, Signal.TECHNICAL_SKILLS}]
    pool = [
        dataclasses.replace(p, consented_signals=rng.choice(choices), matching_consent=rng.random() > 0.2)
        for p in random_pool(rng, 400)
    ]
    index = ProviderIndex.build(pool, week_of=WEEK)
    person = participant(languages=frozenset({"en", "de", "fr"}))
    totals = index.score_all(person, DEFAULT_WEIGHTS, consented=ALL)
    exact = [score(person, p, DEFAULT_WEIGHTS, consented=ALL, week_of=WEEK).total for p in pool]
    assert max(abs(a - b) for a, b in zip(totals.tolist(), exact, strict=True)) <= 1e-6
    ranked = top_k(person, index, DEFAULT_WEIGHTS, consented=ALL, k=10)
    assert len(ranked) == 10
    assert all(index.providers[index.row_of[c.provider_id]].matching_consent for c in ranked)
    expected = loop_ranking(person, pool, DEFAULT_WEIGHTS, ALL, 10, WEEK)
    assert [(c.provider_id, round(c.total, 9)) for c in ranked] == [(pid, round(t, 9)) for pid, t in expected]
