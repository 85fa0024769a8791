"""Program status transitions (pure): the operations owner pauses onboarding and resumes it, or closes
the program for good (seed 004 §7: stop when data quality or participation drops)."""

from enum import StrEnum


class ProgramStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    CLOSED = "closed"


class StatusAction(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    CLOSE = "close"


TARGET = {
    StatusAction.PAUSE: ProgramStatus.PAUSED,
    StatusAction.RESUME: ProgramStatus.ACTIVE,
    StatusAction.CLOSE: ProgramStatus.CLOSED,
}


class TransitionRefused(ValueError):
    """A closed program is never reopened or paused; it stays closed."""


def transition(current: ProgramStatus, action: StatusAction) -> ProgramStatus | None:
    """The status after `action`, or None when the program already has it (a repeat changes nothing).

    Raises `TransitionRefused` for anything but closing again once closed."""
    target = TARGET[action]
    if current == target:
        return None
    if current == ProgramStatus.CLOSED:
        raise TransitionRefused(f"a closed program cannot {action.value}")
    return target
