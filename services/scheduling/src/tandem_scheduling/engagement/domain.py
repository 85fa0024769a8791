"""Cadence per track and the kickoff SLA (seed 004, sections 3 and 7)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tandem_scheduling.models import Engagement

KICKOFF_SLA = timedelta(days=7)
KICKOFF_MINUTES = 60


@dataclass(frozen=True)
class Cadence:
    """How often the pair meets, for how long, over how many months, with reviews every N weeks."""

    every: str  # weekly | biweekly | monthly
    session_minutes: int
    planned_months: int
    review_every_weeks: int


# Coaching: 3-6 months, weekly or biweekly 45-60 min, a review checkpoint every 4-6 weeks.
# Mentoring: 9-12 months, monthly touchpoints, quarterly milestone reviews.
COACHING_SPRINT = Cadence("weekly", 60, 3, 6)
COACHING_BEFORE_HANDOFF = Cadence("weekly", 60, 4, 4)
PERIODIC_COACHING = Cadence("biweekly", 45, 6, 6)
MENTORING = Cadence("monthly", 60, 12, 13)


def cadence_for(provider_kind: str, track: str) -> Cadence:
    """The rhythm of this engagement: the provider's kind decides the layer, the track tunes it."""
    if provider_kind == "mentor":
        return MENTORING
    if track == "coach_then_mentor":
        return COACHING_BEFORE_HANDOFF
    if track == "mentor_plus_coaching":
        return PERIODIC_COACHING
    return COACHING_SPRINT


def kickoff_due(approved_at: datetime) -> datetime:
    """Intake and kickoff happen within week 1 of the approved match."""
    return approved_at + KICKOFF_SLA


def default_minutes(engagement: Engagement, kind: str) -> int:
    """A kickoff's length, or the engagement's cadence for any other session."""
    return KICKOFF_MINUTES if kind == "kickoff" else engagement.session_minutes
