"""Service levels per layer and the cadence of checkpoints (seed 004, sections 1 and 3): pure rules.

Each layer has its own promises: the kickoff held within week 1 of approval, the next session booked
within N days of the last held one, each checkpoint held by its due date, attendance above a floor.
The cadence of checkpoints is in `cadence.domain`.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from tandem_scheduling.cadence.domain import LAYERS, Layer, layer_of

SlaKind = Literal["kickoff_held", "next_session_booked", "checkpoint_held", "attendance_floor"]

KICKOFF_HELD: SlaKind = "kickoff_held"
NEXT_SESSION_BOOKED: SlaKind = "next_session_booked"
CHECKPOINT_HELD: SlaKind = "checkpoint_held"
ATTENDANCE_FLOOR: SlaKind = "attendance_floor"


@dataclass(frozen=True)
class Policy:
    """One layer's service levels."""

    kickoff_days: int
    next_session_days: int
    checkpoint_grace_days: int
    review_every_weeks: int | None
    attendance_floor: float


DEFAULTS: dict[str, Policy] = {
    "coaching": Policy(
        kickoff_days=7,
        next_session_days=21,
        checkpoint_grace_days=0,
        review_every_weeks=None,
        attendance_floor=0.8,
    ),
    "mentoring": Policy(
        kickoff_days=7,
        next_session_days=35,
        checkpoint_grace_days=0,
        review_every_weeks=None,
        attendance_floor=0.8,
    ),
    "network": Policy(
        kickoff_days=7,
        next_session_days=35,
        checkpoint_grace_days=0,
        review_every_weeks=None,
        attendance_floor=0.8,
    ),
}


__all__ = ["LAYERS", "Layer", "layer_of"]


def kickoff_due(approved_at: datetime, policy: Policy) -> datetime:
    """The kickoff is held within `kickoff_days` (week 1) of the approval."""
    return approved_at + timedelta(days=policy.kickoff_days)


def next_session_due(held_at: datetime, policy: Policy) -> datetime:
    return held_at + timedelta(days=policy.next_session_days)
