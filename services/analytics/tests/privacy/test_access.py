import json
import uuid
from typing import Any


async def test_participant_gets_their_rows_through_the_broker(program: Any, consent: Any) -> None:
    coach = await program.coach()
    mine = await program.coaching(coach, late=True, rating=4)
    other = await program.coaching(coach)
    request = await consent.open(mine.participant, "access")

    receipt = await consent.receipt(request["id"])

    assert (receipt["outcome"], receipt["records"], receipt["submitted_by"]) == ("completed", 5, "analytics")
    assert receipt["detail"] == (
        "Exported 5 row(s): 1 matches, 1 engagements, 1 sessions, 1 sla breaches, 1 session telemetry."
    )
    export = (await consent.get(request["id"], "/export"))["services"]["analytics"]
    assert export["provider_records"] == []
    assert [(m["match_id"], m["role"], m["track"]) for m in export["matches"]] == [
        (str(mine.match_id), "participant", "coach")
    ]
    assert [e["engagement_id"] for e in export["engagements"]] == [str(mine.engagement_id)]
    assert [(s["session_id"], s["kind"], s["role"]) for s in export["sessions"]] == [
        (str(mine.session_id), "kickoff", "participant")
    ]
    assert [(b["engagement_id"], b["sla"]) for b in export["sla_breaches"]] == [
        (str(mine.engagement_id), "kickoff")
    ]
    [telemetry] = export["session_telemetry"]
    assert (telemetry["vendor_session_id"], telemetry["type"], telemetry["rating"]) == (
        mine.vendor_session_id,
        "session.completed",
        4,
    )
    text = json.dumps(export)
    for someone_else in (
        other.participant,
        other.match_id,
        other.session_id,
        coach.provider_id,
        coach.person_id,
    ):
        assert str(someone_else) not in text


async def test_coach_gets_their_rows_without_the_participants(program: Any, consent: Any) -> None:
    coach = await program.coach(capacity=7)
    first = await program.coaching(coach, rating=2)
    second = await program.coaching(coach, outcome="session.no_show")
    request = await consent.open(coach.person_id, "access")

    receipt = await consent.receipt(request["id"])

    assert (receipt["outcome"], receipt["records"]) == ("completed", 9)
    export = (await consent.get(request["id"], "/export"))["services"]["analytics"]
    [record] = export["provider_records"]
    assert (record["provider_id"], record["program_id"], record["kind"], record["capacity"]) == (
        str(coach.provider_id),
        str(program.id),
        "coach",
        7,
    )
    assert {(m["match_id"], m["role"], m["provider_id"]) for m in export["matches"]} == {
        (str(first.match_id), "provider", str(coach.provider_id)),
        (str(second.match_id), "provider", str(coach.provider_id)),
    }
    assert {t["type"] for t in export["session_telemetry"]} == {"session.completed", "session.no_show"}
    # The participants' ratings and ids are theirs, not the coach's.
    assert all("rating" not in t for t in export["session_telemetry"])
    text = json.dumps(export)
    assert str(first.participant) not in text
    assert str(second.participant) not in text


async def test_ended_match_carries_its_end(program: Any, consent: Any) -> None:
    coaching = await program.coaching(await program.coach())
    ended_at = await program.end(coaching, reason="withdrawn")
    request = await consent.open(coaching.participant, "access")

    await consent.receipt(request["id"])

    export = (await consent.get(request["id"], "/export"))["services"]["analytics"]
    [match] = export["matches"]
    assert (match["match_id"], match["ended_at"], match["end_reason"]) == (
        str(coaching.match_id),
        ended_at.isoformat(),
        "withdrawn",
    )


async def test_unknown_person_is_nothing_held(consent: Any) -> None:
    request = await consent.open(uuid.uuid4(), "access")

    receipt = await consent.receipt(request["id"])

    assert (receipt["outcome"], receipt["records"], receipt["detail"]) == (
        "nothing_held",
        0,
        "Analytics holds no data about this person.",
    )
    export = await consent.get(request["id"], "/export")
    assert (export["complete"], export["services"]["analytics"]) == (True, None)
