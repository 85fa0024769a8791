"""The coaching-to-mentoring handoff (pure): its checklist and what context may travel.

Seed 004 §3: "a formal handoff checklist so a leader moving from coaching to mentoring carries context
but not confidential performance detail unless consented". Goals and progress travel only under the
participant's `handoff` consent; performance detail (the intake's triggers, the reasons of the track,
coaching notes) never travels in the handoff at all.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

CHECKLIST = (
    "coaching_closing_notes_submitted",
    "goals_reviewed",
    "progress_summary_shared",
    "mentor_intro_meeting_booked",
)
"""Seed 004 §7, week 14: coaches submit closing notes and transfer items; the mentor then reviews the
goals, receives the progress summary and books the intro meeting."""

NO_CONSENT_NOTE = (
    "The participant has not consented to share goals and progress with the mentor (purpose `handoff`): "
    "the handoff carries the checklist only."
)


def empty_checklist() -> dict[str, dict[str, Any]]:
    return {item: {"done": False, "done_at": None, "done_by": None} for item in CHECKLIST}


def tick(
    checklist: Mapping[str, Mapping[str, Any]], changes: Mapping[str, bool], *, by: str, at: datetime
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The checklist with `changes` applied, and the items that changed. Setting an item to what it
    already is changes nothing (a double submission keeps the first `done_at`)."""
    updated = {item: dict(checklist.get(item) or empty_checklist()[item]) for item in CHECKLIST}
    changed = []
    for item, done in changes.items():
        if updated[item]["done"] == done:
            continue
        updated[item] = {
            "done": done,
            "done_at": at.isoformat() if done else None,
            "done_by": by if done else None,
        }
        changed.append(item)
    return updated, changed


def shared_context(
    *,
    behavioural_goals: list[str],
    wanted_skills: Mapping[str, int],
    coaching_started_at: datetime,
    coaching_completed_at: datetime,
) -> dict[str, Any]:
    """Goals (from the intake) and progress (from the coaching match): what a consenting participant
    lets travel to the mentor. Nothing about why they were coached."""
    weeks = (coaching_completed_at - coaching_started_at).days // 7
    return {
        "goals": {"behavioural_goals": list(behavioural_goals), "wanted_skills": dict(wanted_skills)},
        "progress": {
            "coaching_started_on": coaching_started_at.date().isoformat(),
            "coaching_completed_on": coaching_completed_at.date().isoformat(),
            "sprint_weeks": weeks,
        },
    }
