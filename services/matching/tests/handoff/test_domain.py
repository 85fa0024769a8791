from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from tandem_matching.handoff import domain
from tandem_matching.intake.domain import Track, open_kinds, sprint_blocks_mentor
from tandem_matching.scoring.domain import ProviderKind

AT = datetime(2026, 3, 2, 9, tzinfo=UTC)
LATER = datetime(2026, 3, 9, 9, tzinfo=UTC)
KINDS = st.sets(st.sampled_from(list(ProviderKind)))


def test_dual_track_is_sequential() -> None:
    coach, mentor = ProviderKind.COACH, ProviderKind.MENTOR
    assert open_kinds(Track.COACH_THEN_MENTOR, active=[], completed=[]) == (coach,)
    assert open_kinds(Track.COACH_THEN_MENTOR, active=[coach], completed=[]) == ()
    assert open_kinds(Track.COACH_THEN_MENTOR, active=[], completed=[coach]) == (mentor,)
    assert open_kinds(Track.COACH_THEN_MENTOR, active=[mentor], completed=[coach]) == ()
    # The parallel tracks are unchanged: both kinds, in the track's order.
    assert open_kinds(Track.MENTOR_PLUS_COACHING, active=[], completed=[]) == (mentor, coach)
    assert open_kinds(Track.MENTOR_PLUS_COACHING, active=[mentor], completed=[]) == (coach,)


@given(track=st.sampled_from(list(Track)), active=KINDS, completed=KINDS)
def test_open_kinds_never_offers_an_active_kind(
    track: Track, active: set[ProviderKind], completed: set[ProviderKind]
) -> None:
    found = open_kinds(track, active=active, completed=completed)
    assert not set(found) & active
    if track is Track.COACH_THEN_MENTOR:
        assert ProviderKind.MENTOR not in found or ProviderKind.COACH in completed


@given(
    track=st.sampled_from(list(Track)), kind=st.sampled_from(list(ProviderKind)), coach_active=st.booleans()
)
def test_only_a_dual_track_mentor_waits_for_the_sprint(
    track: Track, kind: ProviderKind, coach_active: bool
) -> None:
    blocked = sprint_blocks_mentor(track, kind, coach_active=coach_active)
    assert blocked is (track is Track.COACH_THEN_MENTOR and kind is ProviderKind.MENTOR and coach_active)


def test_ticking_twice_keeps_the_first_tick() -> None:
    once, changed = domain.tick(domain.empty_checklist(), {"goals_reviewed": True}, by="person:a", at=AT)
    twice, unchanged = domain.tick(once, {"goals_reviewed": True}, by="person:b", at=LATER)

    assert changed == ["goals_reviewed"]
    assert unchanged == []
    assert twice["goals_reviewed"] == {"done": True, "done_at": AT.isoformat(), "done_by": "person:a"}
    untick, _ = domain.tick(twice, {"goals_reviewed": False}, by="person:b", at=LATER)
    assert untick["goals_reviewed"] == {"done": False, "done_at": None, "done_by": None}


def test_shared_context_is_goals_and_progress_only() -> None:
    context = domain.shared_context(
        behavioural_goals=["executive_presence"],
        wanted_skills={"ml": 3},
        coaching_started_at=AT,
        coaching_completed_at=datetime(2026, 6, 22, tzinfo=UTC),
    )
    assert context == {
        "goals": {"behavioural_goals": ["executive_presence"], "wanted_skills": {"ml": 3}},
        "progress": {
            "coaching_started_on": "2026-03-02",
            "coaching_completed_on": "2026-06-22",
            "sprint_weeks": 15,
        },
    }
