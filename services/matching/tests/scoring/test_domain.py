"""Pure tests of the scoring rules: formulas, consent, promotion rule, DST, vectorised ranking."""

from __future__ import annotations

import dataclasses
import math
import random
import uuid
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem_matching.scoring import domain
from tandem_matching.scoring.domain import (
    ALL_SIGNALS,
    DEFAULT_WEIGHTS,
    MINUTES_PER_DAY,
    Eligibility,
    FilterReason,
    InvalidWeightSet,
    ParticipantProfile,
    ProviderKind,
    ProviderProfile,
    Signal,
    WeightSet,
    behavioural_goal_fit,
    effective_weights,
    hard_filter,
    past_success_value,
    score,
    sponsorship_history_value,
    technical_skills_fit,
    utc_week_intervals,
    validate_weights,
    weekly_overlap_minutes,
)
from tandem_matching.scoring.index import ProviderIndex, top_k

ZONES = ["UTC", "America/New_York", "Europe/London", "Asia/Kolkata", "Asia/Tokyo", "Asia/Kathmandu"]
SKILLS = ["ml", "data_platforms", "cloud", "security", "product", "finance"]
GOALS = ["stakeholders", "decision_hygiene", "presence", "delegation"]
LANGS = ["en", "fr", "de"]
BOSSES = [uuid.UUID(int=i) for i in range(1, 5)]
WEEK = date(2025, 6, 11)
ALL = frozenset(ALL_SIGNALS)
OFFICE = tuple((d, 9 * 60, 17 * 60) for d in range(5))


def participant(**changes: object) -> ParticipantProfile:
    base = ParticipantProfile(
        id=uuid.uuid4(),
        timezone="Europe/London",
        languages=frozenset({"en"}),
        working_hours=OFFICE,
        wanted_skills={"ml": 4, "data_platforms": 2},
        behavioural_goals=frozenset({"stakeholders", "presence"}),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def provider(**changes: object) -> ProviderProfile:
    base = ProviderProfile(
        id=uuid.uuid4(),
        kind=ProviderKind.MENTOR,
        timezone="Europe/London",
        languages=frozenset({"en"}),
        working_hours=OFFICE,
        skills={"ml": 3, "data_platforms": 5},
        behavioural_focus=frozenset({"stakeholders"}),
        sponsorship_actions=3,
        ratings=(4.0, 5.0, 4.5),
        sessions_completed=9,
        sessions_scheduled=10,
        capacity=3,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@st.composite
def hours(draw: st.DrawFn) -> tuple[tuple[int, int, int], ...]:
    blocks = []
    for _ in range(draw(st.integers(0, 4))):
        start = draw(st.integers(0, MINUTES_PER_DAY - 1))
        end = draw(st.integers(start + 1, min(start + 600, MINUTES_PER_DAY)))
        blocks.append((draw(st.integers(0, 6)), start, end))
    return tuple(blocks)


DEPARTMENTS = ["Data", "Platform", "Sales"]


@st.composite
def providers(draw: st.DrawFn) -> ProviderProfile:
    scheduled = draw(st.integers(0, 20))
    return ProviderProfile(
        id=draw(st.uuids()),
        kind=draw(st.sampled_from(ProviderKind)),
        timezone=draw(st.sampled_from(ZONES)),
        languages=draw(st.frozensets(st.sampled_from(LANGS), min_size=1)),
        working_hours=draw(hours()),
        skills=draw(st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 5))),
        behavioural_focus=draw(st.frozensets(st.sampled_from(GOALS))),
        sponsorship_actions=draw(st.integers(0, 20)),
        promotions_sponsored=draw(st.integers(0, 5)),
        ratings=tuple(draw(st.lists(st.integers(2, 10).map(lambda x: x / 2), max_size=6))),
        sessions_completed=draw(st.integers(0, scheduled)),
        sessions_scheduled=scheduled,
        manager_chain=tuple(draw(st.lists(st.sampled_from(BOSSES), max_size=2))),
        capacity=draw(st.integers(0, 3)),
        active_load=draw(st.integers(0, 2)),
        eligibility=draw(st.sampled_from([domain.ELIGIBLE, Eligibility(False, ("rating_median_below_4",))])),
        active=draw(st.booleans()),
        level_rank=draw(st.none() | st.integers(0, 6)),
        department=draw(st.none() | st.sampled_from(DEPARTMENTS)),
    )


@st.composite
def participants(draw: st.DrawFn) -> ParticipantProfile:
    return ParticipantProfile(
        id=draw(st.uuids()),
        timezone=draw(st.sampled_from(ZONES)),
        languages=draw(st.frozensets(st.sampled_from(LANGS), min_size=1)),
        working_hours=draw(hours()),
        wanted_skills=draw(st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 5))),
        behavioural_goals=draw(st.frozensets(st.sampled_from(GOALS))),
        manager_chain=tuple(draw(st.lists(st.sampled_from(BOSSES), max_size=2))),
        promotion_related=draw(st.booleans()),
        needed_minutes_per_week=draw(st.sampled_from([45, 60, 120, 600])),
        level_rank=draw(st.none() | st.integers(0, 6)),
        department=draw(st.none() | st.sampled_from(DEPARTMENTS)),
    )


weight_sets = st.builds(
    WeightSet,
    technical_skills=st.integers(0, 100),
    behavioural_goals=st.integers(0, 100),
    sponsorship_history=st.integers(0, 100),
    availability_overlap=st.integers(0, 100),
    past_success=st.integers(1, 100),
    version=st.integers(1, 9),
)
consents = st.frozensets(st.sampled_from(ALL_SIGNALS))


# --- weights ---------------------------------------------------------------------------------


def test_default_weights_are_the_seed_table() -> None:
    assert DEFAULT_WEIGHTS.as_dict() == {
        Signal.TECHNICAL_SKILLS: 35,
        Signal.BEHAVIOURAL_GOALS: 25,
        Signal.SPONSORSHIP_HISTORY: 20,
        Signal.AVAILABILITY_OVERLAP: 10,
        Signal.PAST_SUCCESS: 10,
    }
    assert [s.value for s in Signal] == [
        "technical_skills",
        "behavioural_goals",
        "sponsorship_history",
        "availability_overlap",
        "past_success",
    ]


def test_validate_weights_names_each_bad_field() -> None:
    weights = {**DEFAULT_WEIGHTS.as_dict(), Signal.TECHNICAL_SKILLS: 101}
    del weights[Signal.PAST_SUCCESS]
    assert validate_weights(weights) == [
        "technical_skills: must be an integer between 0 and 100, got 101",
        "past_success: missing",
    ]
    assert validate_weights(dict.fromkeys(ALL_SIGNALS, 0)) == [
        "weights: at least one weight must be positive"
    ]


def test_invalid_weight_set_refused() -> None:
    with pytest.raises(InvalidWeightSet) as error:
        dataclasses.replace(DEFAULT_WEIGHTS, sponsorship_history=-1)
    assert error.value.problems == ("sponsorship_history: must be an integer between 0 and 100, got -1",)


def test_promotion_rule_swaps_technical_and_sponsorship() -> None:
    promoted = effective_weights(DEFAULT_WEIGHTS, promotion_related=True)
    assert (promoted.technical_skills, promoted.sponsorship_history) == (20, 35)
    assert effective_weights(DEFAULT_WEIGHTS, promotion_related=False) is DEFAULT_WEIGHTS


def test_promotion_rule_breaks_ties() -> None:
    tie = dataclasses.replace(DEFAULT_WEIGHTS, technical_skills=20)
    assert effective_weights(tie, promotion_related=True).technical_skills == 19
    zero = dataclasses.replace(DEFAULT_WEIGHTS, technical_skills=0, sponsorship_history=0)
    assert effective_weights(zero, promotion_related=True).sponsorship_history == 1


@given(weight_sets)
def test_promotion_rule_always_puts_sponsorship_above_technical(weights: WeightSet) -> None:
    promoted = effective_weights(weights, promotion_related=True)
    assert promoted.sponsorship_history > promoted.technical_skills
    assert promoted.behavioural_goals == weights.behavioural_goals
    assert promoted.version == weights.version


def test_promotion_related_score_weighs_sponsorship_above_technical() -> None:
    breakdown = score(
        participant(promotion_related=True), provider(), DEFAULT_WEIGHTS, consented=ALL, week_of=WEEK
    )
    used = {s: c.weight_used for s, c in breakdown.contributions.items()}
    assert used[Signal.SPONSORSHIP_HISTORY] == 35.0
    assert used[Signal.TECHNICAL_SKILLS] == 20.0
    assert breakdown.promotion_rule_applied is True


# --- signals -----------------------------------------------------------------------------------


def test_technical_skills_fit_weighs_by_target_level() -> None:
    # ml: min(3, 4) = 3 of 4, data_platforms: min(5, 2) = 2 of 2 -> 5 / 6
    assert technical_skills_fit({"ml": 4, "data_platforms": 2}, {"ml": 3, "data_platforms": 5}) == 5 / 6
    assert technical_skills_fit({"ml": 4}, {"cloud": 5}) == 0.0
    assert technical_skills_fit({}, {"cloud": 5}) == 0.0


def test_behavioural_goal_fit_is_share_of_goals_covered() -> None:
    assert behavioural_goal_fit(frozenset({"a", "b", "c", "d"}), frozenset({"a", "c", "x"})) == 0.5
    assert behavioural_goal_fit(frozenset(), frozenset({"a"})) == 0.0


def test_sponsorship_history_saturates() -> None:
    assert sponsorship_history_value(0, 0) == 0.0
    assert sponsorship_history_value(3, 0) == 0.5
    assert sponsorship_history_value(1, 1) == 0.5
    assert sponsorship_history_value(6, 0) == 0.75
    assert sponsorship_history_value(60, 0) == pytest.approx(1.0, abs=1e-6)


def test_past_success_neutral_without_history() -> None:
    assert past_success_value((), 0, 0) == 0.5


def test_past_success_shrinks_ratings_and_completion() -> None:
    # rating: median 5 -> 1.0, (3 * 1.0 + 3 * 0.5) / 6 = 0.75; completion: (9 + 1.5) / 13
    assert past_success_value((5.0, 5.0, 4.0), 9, 10) == pytest.approx((0.75 + 10.5 / 13) / 2)


# --- time zones --------------------------------------------------------------------------------


def test_overlap_new_york_london_in_the_weeks_dst_differs() -> None:
    new_york = utc_week_intervals(OFFICE, "America/New_York", date(2025, 3, 12))
    london = utc_week_intervals(OFFICE, "Europe/London", date(2025, 3, 12))
    # 10-16 March 2025: New York is on EDT (UTC-4), London still on GMT -> 13:00-17:00 UTC shared.
    assert weekly_overlap_minutes(new_york, london) == 5 * 240
    new_york = utc_week_intervals(OFFICE, "America/New_York", date(2025, 2, 12))
    london = utc_week_intervals(OFFICE, "Europe/London", date(2025, 2, 12))
    # February: EST (UTC-5) and GMT -> 14:00-17:00 UTC shared.
    assert weekly_overlap_minutes(new_york, london) == 5 * 180
    new_york = utc_week_intervals(OFFICE, "America/New_York", date(2025, 7, 9))
    london = utc_week_intervals(OFFICE, "Europe/London", date(2025, 7, 9))
    assert weekly_overlap_minutes(new_york, london) == 5 * 180


def test_overlap_applies_dst_day_by_day() -> None:
    # Europe/London switches to BST on Sunday 30 March 2025: Sunday 09:00 local is 08:00 UTC.
    sunday = 6 * MINUTES_PER_DAY
    assert utc_week_intervals(((0, 540, 600), (6, 540, 600)), "Europe/London", date(2025, 3, 24)) == (
        (540, 600),
        (sunday + 480, sunday + 540),
    )


def test_block_across_the_dst_gap_loses_the_missing_hour() -> None:
    # New York, Sunday 9 March 2025, 01:00-04:00 local: 02:00-03:00 does not exist -> 06:00-08:00 UTC.
    sunday = 6 * MINUTES_PER_DAY
    assert utc_week_intervals(((6, 60, 240),), "America/New_York", date(2025, 3, 9)) == (
        (sunday + 360, sunday + 480),
    )


def test_block_before_monday_utc_wraps_to_the_end_of_the_week() -> None:
    # Tokyo Monday 00:00-02:00 is Sunday 15:00-17:00 UTC of the recurring week.
    sunday = 6 * MINUTES_PER_DAY
    assert utc_week_intervals(((0, 0, 120),), "Asia/Tokyo", WEEK) == ((sunday + 900, sunday + 1020),)


def test_availability_signal_saturates_at_needed_minutes() -> None:
    late = provider(timezone="America/New_York")
    them = participant(needed_minutes_per_week=1200)
    breakdown = score(
        them, late, DEFAULT_WEIGHTS, consented={Signal.AVAILABILITY_OVERLAP}, week_of=date(2025, 3, 12)
    )
    assert breakdown.contributions[Signal.AVAILABILITY_OVERLAP].value == 1.0
    breakdown = score(
        them, late, DEFAULT_WEIGHTS, consented={Signal.AVAILABILITY_OVERLAP}, week_of=date(2025, 2, 12)
    )
    assert breakdown.contributions[Signal.AVAILABILITY_OVERLAP].value == 900 / 1200


# --- combining and consent ------------------------------------------------------------------------


def test_score_of_a_known_pair() -> None:
    breakdown = score(participant(), provider(), DEFAULT_WEIGHTS, consented=ALL, week_of=WEEK)
    values = {s: c.value for s, c in breakdown.contributions.items()}
    assert values[Signal.TECHNICAL_SKILLS] == 5 / 6
    assert values[Signal.BEHAVIOURAL_GOALS] == 0.5
    assert values[Signal.SPONSORSHIP_HISTORY] == 0.5
    assert values[Signal.AVAILABILITY_OVERLAP] == 1.0
    expected = 35 * 5 / 6 + 25 * 0.5 + 20 * 0.5 + 10 * 1.0 + 10 * past_success_value((4.0, 5.0, 4.5), 9, 10)
    assert breakdown.total == pytest.approx(expected, abs=1e-9)
    assert breakdown.excluded == ()
    assert breakdown.redistributed_weight == 0.0


def test_excluded_weight_is_redistributed_proportionally() -> None:
    consented = ALL - {Signal.SPONSORSHIP_HISTORY}
    breakdown = score(participant(), provider(), DEFAULT_WEIGHTS, consented=consented, week_of=WEEK)
    assert breakdown.excluded == (Signal.SPONSORSHIP_HISTORY,)
    assert breakdown.redistributed_weight == 20.0
    assert Signal.SPONSORSHIP_HISTORY not in breakdown.contributions
    used = {s: c.weight_used for s, c in breakdown.contributions.items()}
    assert used == {
        Signal.TECHNICAL_SKILLS: 43.75,
        Signal.BEHAVIOURAL_GOALS: 31.25,
        Signal.AVAILABILITY_OVERLAP: 12.5,
        Signal.PAST_SUCCESS: 12.5,
    }
    assert breakdown.contributions[Signal.TECHNICAL_SKILLS].nominal_weight == 35.0


def test_no_consent_scores_zero_with_every_signal_excluded() -> None:
    breakdown = score(participant(), provider(), DEFAULT_WEIGHTS, consented=frozenset(), week_of=WEEK)
    assert breakdown.total == 0.0
    assert breakdown.contributions == {}
    assert breakdown.excluded == ALL_SIGNALS


def test_excluded_signal_is_never_computed(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object) -> float:
        raise AssertionError("excluded signal computed")

    monkeypatch.setattr(domain, "sponsorship_history_value", forbidden)
    consented = ALL - {Signal.SPONSORSHIP_HISTORY}
    breakdown = score(participant(), provider(), DEFAULT_WEIGHTS, consented=consented, week_of=WEEK)
    assert set(breakdown.contributions) == consented


@given(participants(), providers(), providers(), weight_sets, consents, st.sampled_from(ALL_SIGNALS))
def test_consent_exclusion_never_leaks_the_value(
    person: ParticipantProfile,
    first: ProviderProfile,
    other: ProviderProfile,
    weights: WeightSet,
    consented: frozenset[Signal],
    hidden: Signal,
) -> None:
    # ``second`` equals ``first`` except for the data behind ``hidden`` (taken from ``other``).
    fields = {
        Signal.TECHNICAL_SKILLS: ["skills"],
        Signal.BEHAVIOURAL_GOALS: ["behavioural_focus"],
        Signal.SPONSORSHIP_HISTORY: ["sponsorship_actions", "promotions_sponsored"],
        Signal.AVAILABILITY_OVERLAP: ["working_hours", "timezone"],
        Signal.PAST_SUCCESS: ["ratings", "sessions_completed", "sessions_scheduled"],
    }[hidden]
    second = dataclasses.replace(first, **{name: getattr(other, name) for name in fields})
    allowed = consented - {hidden}
    assert score(person, first, weights, consented=allowed, week_of=WEEK) == score(
        person, second, weights, consented=allowed, week_of=WEEK
    )


@given(participants(), providers(), weight_sets, consents, st.dates(date(2024, 1, 1), date(2026, 12, 31)))
def test_contributions_sum_to_the_total(
    person: ParticipantProfile,
    candidate: ProviderProfile,
    weights: WeightSet,
    consented: frozenset[Signal],
    week: date,
) -> None:
    breakdown = score(person, candidate, weights, consented=consented, week_of=week)
    assert abs(sum(c.contribution for c in breakdown.contributions.values()) - breakdown.total) <= 1e-9
    assert 0.0 <= breakdown.total <= 100.0 + 1e-9
    assert all(0.0 <= c.value <= 1.0 for c in breakdown.contributions.values())
    assert set(breakdown.contributions) | set(breakdown.excluded) == set(ALL_SIGNALS)
    if breakdown.contributions and any(c.weight_used for c in breakdown.contributions.values()):
        assert math.fsum(c.weight_used for c in breakdown.contributions.values()) == pytest.approx(100.0)


@given(participants(), providers(), weight_sets, consents, st.sampled_from(SKILLS), st.integers(1, 5))
def test_raising_a_skill_never_lowers_the_score(
    person: ParticipantProfile,
    candidate: ProviderProfile,
    weights: WeightSet,
    consented: frozenset[Signal],
    skill: str,
    level: int,
) -> None:
    better = dataclasses.replace(
        candidate, skills={**candidate.skills, skill: max(level, candidate.skills.get(skill, 0))}
    )
    before = score(person, candidate, weights, consented=consented, week_of=WEEK).total
    after = score(person, better, weights, consented=consented, week_of=WEEK).total
    assert after >= before


@given(participants(), providers(), weight_sets, consents, hours(), st.integers(0, 10))
def test_more_hours_or_sponsorship_never_lower_the_score(
    person: ParticipantProfile,
    candidate: ProviderProfile,
    weights: WeightSet,
    consented: frozenset[Signal],
    extra_hours: tuple[tuple[int, int, int], ...],
    extra_actions: int,
) -> None:
    better = dataclasses.replace(
        candidate,
        working_hours=candidate.working_hours + extra_hours,
        sponsorship_actions=candidate.sponsorship_actions + extra_actions,
    )
    before = score(person, candidate, weights, consented=consented, week_of=WEEK).total
    assert score(person, better, weights, consented=consented, week_of=WEEK).total >= before


# --- hard filters and eligibility ----------------------------------------------------------------


def test_hard_filter_admits_a_clean_pair() -> None:
    assert hard_filter(participant(), provider()) == []


def test_hard_filter_reasons() -> None:
    manager, skip, peer_boss = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    person = participant(manager_chain=(manager, skip), languages=frozenset({"fr"}))
    assert hard_filter(person, provider(id=skip)) == [
        FilterReason.NO_SHARED_LANGUAGE,
        FilterReason.PROVIDER_IS_MANAGER_OR_SKIP_LEVEL,
    ]
    person = participant(manager_chain=(manager, skip))
    assert hard_filter(person, provider(manager_chain=(manager,))) == [FilterReason.SAME_REPORTING_LINE]
    assert hard_filter(person, provider(manager_chain=(peer_boss, person.id))) == [
        FilterReason.PARTICIPANT_IS_MANAGER_OR_SKIP_LEVEL
    ]
    assert hard_filter(person, provider(capacity=2, active_load=2)) == [FilterReason.AT_CAPACITY]
    ineligible = provider(eligibility=Eligibility(False, ("commitment_not_signed",)))
    assert hard_filter(person, ineligible) == [FilterReason.INELIGIBLE]


def test_directory_rules_bind_mentors_only_and_only_with_both_facts() -> None:
    person = participant(level_rank=4, department="Data")
    mentor = provider(kind=ProviderKind.MENTOR, level_rank=4, department="Data")
    assert hard_filter(person, mentor) == [FilterReason.MENTOR_NOT_SENIOR, FilterReason.SAME_DEPARTMENT]
    assert hard_filter(person, provider(kind=ProviderKind.MENTOR, level_rank=5, department="Sales")) == []
    # An unknown (or unconsented) fact on either side switches its rule off.
    assert hard_filter(participant(), mentor) == []
    assert hard_filter(person, provider(kind=ProviderKind.MENTOR)) == []
    assert hard_filter(person, provider(kind=ProviderKind.COACH, level_rank=1, department="Data")) == []
    assert hard_filter(person, provider(active=False)) == [FilterReason.INACTIVE]


def test_three_levels_up_is_not_a_conflict() -> None:
    # The seed's example: a CTO may mentor a director two levels below their skip-level.
    cto = uuid.uuid4()
    person = participant(manager_chain=(uuid.uuid4(), uuid.uuid4(), cto))
    assert hard_filter(person, provider(id=cto)) == []


def loop_ranking(
    person: ParticipantProfile,
    pool: list[ProviderProfile],
    weights: WeightSet,
    consented: frozenset[Signal],
    k: int,
    week: date,
) -> list[tuple[uuid.UUID, float]]:
    scored = [
        (p.id, score(person, p, weights, consented=consented, week_of=week).total)
        for p in pool
        if not hard_filter(person, p)
    ]
    scored.sort(key=lambda pair: (-round(pair[1], 9), str(pair[0])))
    return scored[:k]


@settings(max_examples=60)
@given(
    participants(),
    st.lists(providers(), max_size=12, unique_by=lambda p: p.id),
    weight_sets,
    consents,
    st.integers(1, 5),
)
def test_top_k_equals_the_per_pair_ranking(
    person: ParticipantProfile,
    pool: list[ProviderProfile],
    weights: WeightSet,
    consented: frozenset[Signal],
    k: int,
) -> None:
    index = ProviderIndex.build(pool, week_of=WEEK)
    ranked = top_k(person, index, weights, consented=consented, k=k)
    expected = loop_ranking(person, pool, weights, consented, k, WEEK)
    assert [c.provider_id for c in ranked] == [pid for pid, _ in expected]
    assert [c.rank for c in ranked] == list(range(1, len(expected) + 1))


def random_pool(rng: random.Random, n: int) -> list[ProviderProfile]:
    pool = []
    for _ in range(n):
        start = rng.randrange(6 * 60, 11 * 60)
        scheduled = rng.randrange(0, 30)
        pool.append(
            ProviderProfile(
                id=uuid.UUID(int=rng.getrandbits(128)),
                kind=rng.choice(list(ProviderKind)),
                timezone=rng.choice(ZONES),
                languages=frozenset(rng.sample(LANGS, rng.randint(1, 2))),
                working_hours=tuple((d, start, start + 480) for d in range(5)),
                skills={s: rng.randint(1, 5) for s in rng.sample(SKILLS, rng.randint(1, 4))},
                behavioural_focus=frozenset(rng.sample(GOALS, rng.randint(0, 3))),
                sponsorship_actions=rng.randrange(0, 12),
                promotions_sponsored=rng.randrange(0, 3),
                ratings=tuple(rng.choice([3.0, 3.5, 4.0, 4.5, 5.0]) for _ in range(rng.randrange(0, 8))),
                sessions_completed=rng.randrange(0, scheduled + 1),
                sessions_scheduled=scheduled,
                manager_chain=tuple(rng.sample(BOSSES, rng.randint(0, 2))),
                capacity=rng.randint(0, 4),
            )
        )
    return pool


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_vectorised_totals_equal_score_on_a_larger_pool(seed: int) -> None:
    rng = random.Random(seed)
    pool = random_pool(rng, 400)
    index = ProviderIndex.build(pool, ["unused_skill"], week_of=date(2025, 3, 26))
    person = participant(
        timezone="America/New_York",
        languages=frozenset({"en", "de"}),
        manager_chain=(BOSSES[0], BOSSES[1]),
        promotion_related=seed == 2,
        wanted_skills={"ml": 4, "security": 3, "not_in_pool": 2},
    )
    consented = ALL - {Signal.PAST_SUCCESS} if seed == 3 else ALL
    totals = index.score_all(person, DEFAULT_WEIGHTS, consented=consented)
    exact = [
        score(person, p, DEFAULT_WEIGHTS, consented=consented, week_of=index.week_of).total for p in pool
    ]
    assert max(abs(a - b) for a, b in zip(totals.tolist(), exact, strict=True)) <= 1e-6
    admissible = index.admissible(person).tolist()
    assert admissible == [not hard_filter(person, p) for p in pool]
    ranked = top_k(person, index, DEFAULT_WEIGHTS, consented=consented, k=10)
    expected = loop_ranking(person, pool, DEFAULT_WEIGHTS, frozenset(consented), 10, index.week_of)
    assert [(c.provider_id, round(c.total, 9)) for c in ranked] == [(pid, round(t, 9)) for pid, t in expected]
    assert len(ranked) == 10


def test_top_k_filters_by_kind() -> None:
    rng = random.Random(7)
    pool = random_pool(rng, 50)
    index = ProviderIndex.build(pool, week_of=WEEK)
    person = participant()
    ranked = top_k(person, index, DEFAULT_WEIGHTS, consented=ALL, k=50, kind=ProviderKind.COACH)
    coaches = {p.id for p in pool if p.kind is ProviderKind.COACH and not hard_filter(person, p)}
    assert len(coaches) == 11
    assert {c.provider_id for c in ranked} == coaches
