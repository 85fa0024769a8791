"""Program status transitions (pure): any sequence of pause, resume and close."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandem_matching.program.domain import ProgramStatus, StatusAction, TransitionRefused, transition


def run(actions: list[StatusAction]) -> tuple[ProgramStatus, int]:
    """The status after `actions` from active, applying refusals as no-ops, and how many changed it."""
    status, changes = ProgramStatus.ACTIVE, 0
    for action in actions:
        try:
            target = transition(status, action)
        except TransitionRefused:
            continue
        if target is not None:
            status, changes = target, changes + 1
    return status, changes


@given(st.lists(st.sampled_from(list(StatusAction)), max_size=20))
def test_closed_is_for_good(actions: list[StatusAction]) -> None:
    status, _ = run([*actions, StatusAction.CLOSE, *actions])
    assert status == ProgramStatus.CLOSED


@given(st.lists(st.sampled_from(list(StatusAction)), max_size=20))
def test_the_last_action_decides_unless_closed(actions: list[StatusAction]) -> None:
    status, _ = run(actions)
    if StatusAction.CLOSE in actions:
        assert status == ProgramStatus.CLOSED
    elif actions:
        assert (
            status
            == {StatusAction.PAUSE: ProgramStatus.PAUSED, StatusAction.RESUME: ProgramStatus.ACTIVE}[
                actions[-1]
            ]
        )
    else:
        assert status == ProgramStatus.ACTIVE


@given(st.sampled_from(list(ProgramStatus)), st.sampled_from(list(StatusAction)))
def test_a_repeat_changes_nothing(status: ProgramStatus, action: StatusAction) -> None:
    try:
        first = transition(status, action)
    except TransitionRefused:
        assert status == ProgramStatus.CLOSED
        return
    assert transition(first or status, action) is None


@pytest.mark.parametrize("action", [StatusAction.PAUSE, StatusAction.RESUME], ids=["pause", "resume"])
def test_a_closed_program_refuses(action: StatusAction) -> None:
    with pytest.raises(TransitionRefused):
        transition(ProgramStatus.CLOSED, action)
