from datetime import UTC, datetime

import pytest

from tandem_scheduling.engagement.domain import Cadence, cadence_for, kickoff_due


@pytest.mark.parametrize(
    ("kind", "track", "expected"),
    [
        ("coach", "coach", Cadence("weekly", 60, 3, 6)),
        ("coach", "coach_then_mentor", Cadence("weekly", 60, 4, 4)),
        ("coach", "mentor_plus_coaching", Cadence("biweekly", 45, 6, 6)),
        ("mentor", "mentor", Cadence("monthly", 60, 12, 13)),
        ("mentor", "coach_then_mentor", Cadence("monthly", 60, 12, 13)),
    ],
)
def test_cadence_per_track(kind: str, track: str, expected: Cadence) -> None:
    assert cadence_for(kind, track) == expected


def test_coaching_sessions_are_45_to_60_minutes() -> None:
    tracks = ["coach", "coach_then_mentor", "mentor_plus_coaching", "something_new"]
    assert {cadence_for("coach", t).session_minutes for t in tracks} <= set(range(45, 61))


def test_kickoff_due_within_week_one() -> None:
    assert kickoff_due(datetime(2027, 1, 29, 23, 0, tzinfo=UTC)) == datetime(2027, 2, 5, 23, 0, tzinfo=UTC)
