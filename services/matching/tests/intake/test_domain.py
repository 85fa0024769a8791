"""The seed's decision matrix, exhaustively over every trigger combination."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandem_matching.intake.domain import NoTrigger, Track, Trigger, decide_track, kinds_for
from tandem_matching.scoring.domain import ProviderKind


@pytest.mark.parametrize(
    ("trigger", "track"),
    [
        (Trigger.PERFORMANCE_GAP, Track.COACH),
        (Trigger.CAREER_TRANSITION, Track.MENTOR),
        (Trigger.HIGH_STAKES_BEHAVIOURAL_SHIFT, Track.COACH_THEN_MENTOR),
        (Trigger.RETENTION_RISK_UNDERREPRESENTED, Track.MENTOR_PLUS_COACHING),
    ],
)
def test_single_trigger(trigger: Trigger, track: Track) -> None:
    assert decide_track([trigger]).track is track


def test_gap_and_transition_is_dual_track_coach_first() -> None:
    decision = decide_track([Trigger.PERFORMANCE_GAP, Trigger.CAREER_TRANSITION])
    assert decision.track is Track.COACH_THEN_MENTOR
    assert decision.promotion_related is True
    assert kinds_for(decision.track) == (ProviderKind.COACH, ProviderKind.MENTOR)


def test_no_trigger_refused() -> None:
    with pytest.raises(NoTrigger):
        decide_track([])


@given(st.sets(st.sampled_from(list(Trigger)), min_size=1))
def test_every_combination_has_a_reasoned_track(triggers: set[Trigger]) -> None:
    decision = decide_track(triggers)
    assert decision.reason
    assert decision.promotion_related == (Trigger.CAREER_TRANSITION in triggers)
    if Trigger.RETENTION_RISK_UNDERREPRESENTED in triggers:
        assert decision.track is Track.MENTOR_PLUS_COACHING
    # Whoever needs sponsorship (transition, retention) always gets a mentor in the track.
    if triggers & {Trigger.CAREER_TRANSITION, Trigger.RETENTION_RISK_UNDERREPRESENTED}:
        assert ProviderKind.MENTOR in kinds_for(decision.track)
    if triggers & {Trigger.PERFORMANCE_GAP, Trigger.HIGH_STAKES_BEHAVIOURAL_SHIFT}:
        assert ProviderKind.COACH in kinds_for(decision.track)
