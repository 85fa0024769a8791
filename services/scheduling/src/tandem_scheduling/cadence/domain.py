"""The cadence of an engagement (seed 004, sections 1 and 3): planned sessions per track, and
checkpoints (coaching reviews every 4-6 weeks, mentoring milestone reviews quarterly) as due items.

Checkpoints fall on the participant's calendar: a checkpoint due "in six weeks" is due at the end of
that local day, whatever daylight-saving change lies between. Pure rules: no session, no await.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Layer = Literal["coaching", "mentoring", "network"]
LAYERS: tuple[Layer, ...] = ("coaching", "mentoring", "network")

# A checkpoint is announced (`CheckpointDue`) this long before its due date, so it can be booked.
CHECKPOINT_WINDOW = timedelta(days=7)
MENTORING_MILESTONE_WEEKS = 13  # quarterly


def layer_of(provider_kind: str) -> Layer:
    """An engagement's layer follows its provider: a mentor is the mentoring layer, a coach coaching.
    (The network layer is group sessions, which have no provider of their own.)"""
    return "mentoring" if provider_kind == "mentor" else "coaching"


@dataclass(frozen=True)
class PlannedSessions:
    low: int
    high: int


def planned_sessions(provider_kind: str, track: str) -> PlannedSessions:
    """Sessions the track plans: coaching 8-12 over 3-4 months (seed 004 §1), mentoring monthly over
    9-12 months, periodic coaching beside a mentor biweekly over 6 months."""
    if provider_kind == "mentor":
        return PlannedSessions(9, 12)
    if track == "mentor_plus_coaching":
        return PlannedSessions(6, 12)
    return PlannedSessions(8, 12)


def checkpoint_kind(provider_kind: str) -> str:
    return "mentoring_milestone" if provider_kind == "mentor" else "coaching_review"


def checkpoint_every_weeks(provider_kind: str, engagement_weeks: int, policy_weeks: int | None) -> int:
    """Coaching reviews every 4-6 weeks (the program's policy, else the engagement's cadence);
    mentoring milestones quarterly."""
    if provider_kind == "mentor":
        return MENTORING_MILESTONE_WEEKS
    return policy_weeks or engagement_weeks


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (Jan 31 + 1 month = Feb 28/29)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has at least 28 days")


def end_of_local_day(day: date, zone: ZoneInfo) -> datetime:
    """The instant the local `day` ends in `zone` (the next local midnight), as an aware datetime."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)


def checkpoint_dues(
    approved_at: datetime, timezone: str, *, every_weeks: int, planned_months: int, grace_days: int = 0
) -> list[datetime]:
    """Due instants of the engagement's checkpoints: every `every_weeks` weeks of the participant's
    calendar from the approval day, each at the end of its local day (plus the grace), while inside
    the planned months."""
    zone = ZoneInfo(timezone)
    start = approved_at.astimezone(zone).date()
    last = add_months(start, planned_months)
    dues: list[datetime] = []
    k = 1
    while (day := start + timedelta(weeks=every_weeks * k)) <= last:
        dues.append(end_of_local_day(day + timedelta(days=grace_days), zone))
        k += 1
    return dues
