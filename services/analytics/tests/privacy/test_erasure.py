from typing import Any

from tandem_analytics.models import (
    MatchFact,
    ProviderFact,
    SessionFact,
    SessionTelemetry,
    VendorSessionOutcome,
)

TABLES = ("match_facts", "engagement_facts", "session_facts", "session_telemetry", "vendor_session_outcomes")


async def test_participant_is_de_identified(program: Any, consent: Any) -> None:
    coach = await program.coach()
    mine = await program.coaching(coach, late=True)
    other = await program.coaching(coach)
    before, others_before = await program.about(mine), await program.about(other)
    request = await consent.open(mine.participant, "erasure")

    receipt = await consent.receipt(request["id"])

    # The fifth row is their `vendor_sharing` consent, deleted.
    assert (receipt["outcome"], receipt["records"]) == ("completed", 5)
    assert receipt["detail"].startswith(
        "De-identified 5 row(s) (1 match facts, 1 engagement facts, 1 session facts, 1 session telemetry, "
        "1 vendor sharing consents)"
    )
    after = await program.about(mine)
    # One random id stands for the person in every row, so counts of people stay right.
    aliases = {after[table][0]["participant_id"] for table in TABLES}
    assert len(aliases) == 1
    assert aliases != {mine.participant}
    # The rating they gave is gone; everything else the KPIs count is as it was.
    assert after["session_telemetry"][0]["rating"] is None
    assert after["vendor_session_outcomes"][0]["rating"] is None
    unchanged = ("participant_id", "rating")
    for table in TABLES:
        assert [{k: v for k, v in row.items() if k not in unchanged} for row in after[table]] == [
            {k: v for k, v in row.items() if k not in unchanged} for row in before[table]
        ]
    assert after["match_facts"][0]["provider_id"] == coach.provider_id
    assert (after["sla_facts"], after["provider_facts"]) == (before["sla_facts"], before["provider_facts"])
    assert await program.rows(MatchFact, MatchFact.participant_id == mine.participant) == []
    assert await program.rows(SessionTelemetry, SessionTelemetry.participant_id == mine.participant) == []
    assert (
        await program.rows(VendorSessionOutcome, VendorSessionOutcome.participant_id == mine.participant)
        == []
    )
    assert await program.about(other) == others_before

    access = await consent.open(mine.participant, "access")
    assert (await consent.receipt(access["id"]))["outcome"] == "nothing_held"


async def test_coach_gets_a_new_provider_id_everywhere(program: Any, consent: Any) -> None:
    coach, other_coach = await program.coach(capacity=9), await program.coach()
    coached = await program.coaching(coach, rating=4)
    elsewhere = await program.coaching(other_coach)
    others_before = await program.about(elsewhere)
    request = await consent.open(coach.person_id, "erasure")

    receipt = await consent.receipt(request["id"])

    assert (receipt["outcome"], receipt["records"]) == ("completed", 5)
    assert await program.rows(ProviderFact, ProviderFact.person_id == coach.person_id) == []
    assert await program.rows(ProviderFact, ProviderFact.provider_id == coach.provider_id) == []
    [record] = await program.rows(
        ProviderFact,
        ProviderFact.program_id == program.id,
        ProviderFact.provider_id != other_coach.provider_id,
    )
    assert (record["kind"], record["capacity"]) == ("coach", 9)
    assert record["person_id"] != coach.person_id
    after = await program.about(coached)
    # The participant's rows keep their own id and the rating they gave; the coach is a new random id.
    for table in TABLES:
        assert [(r["participant_id"], r["provider_id"]) for r in after[table]] == [
            (coached.participant, record["provider_id"])
        ]
    assert after["session_telemetry"][0]["rating"] == 4
    assert after["vendor_session_outcomes"][0]["rating"] == 4
    assert await program.about(elsewhere) == others_before

    access = await consent.open(coach.person_id, "access")
    assert (await consent.receipt(access["id"]))["outcome"] == "nothing_held"


async def test_erasure_shows_in_the_next_computation(program: Any, consent: Any) -> None:
    program.consenting = True
    coaches = [await program.coach(), await program.coach()]
    coachings = [
        await program.coaching(
            coaches[i // 3], late=i == 5, outcome="session.no_show" if i == 4 else "session.completed"
        )
        for i in range(6)
    ]
    names = ("coach_to_coachee_ratio", "coach_utilization", "session_completion_rate", "attendance_rate",
             "time_to_first_session")  # fmt: skip
    before = await program.kpis()
    assert {name: (before[name]["status"], before[name]["value"]) for name in names} == {
        "coach_to_coachee_ratio": ("green", 3.0),
        "coach_utilization": ("green", 0.6),
        "session_completion_rate": ("green", 0.8333),
        "attendance_rate": ("green", 0.8333),
        "time_to_first_session": ("green", 3.3333),
    }

    # Two coachees and a coach: the erased participants' consent goes with them, so their facts (kept
    # de-identified) count in no KPI any more; four coachees are fewer than k.
    for person in (coachings[0].participant, coaches[0].person_id, coachings[5].participant):
        request = await consent.open(person, "erasure")
        assert (await consent.receipt(request["id"]))["outcome"] == "completed"

    after = await program.kpis()
    assert {name: (after[name]["status"], after[name]["value"]) for name in names} == dict.fromkeys(
        names, ("suppressed", None)
    )


async def test_erasing_twice_is_harmless(program: Any, consent: Any) -> None:
    coaching = await program.coaching(await program.coach())
    first = await consent.open(coaching.participant, "erasure")
    assert (await consent.receipt(first["id"]))["records"] == 5
    erased = await program.about(coaching)

    second = await consent.open(coaching.participant, "erasure")
    receipt = await consent.receipt(second["id"])

    assert (receipt["outcome"], receipt["records"]) == ("nothing_held", 0)
    assert await program.about(coaching) == erased
    assert (await consent.get(second["id"]))["status"] == "completed"
    assert await program.rows(SessionFact, SessionFact.participant_id == coaching.participant) == []


async def test_late_match_end_keeps_the_erasure(program: Any, consent: Any) -> None:
    coach = await program.coach()
    coaching = await program.coaching(coach)
    request = await consent.open(coaching.participant, "erasure")
    assert (await consent.receipt(request["id"]))["outcome"] == "completed"
    [erased] = await program.rows(MatchFact, MatchFact.match_id == coaching.match_id)

    # MatchEnded emitted by matching before its own erasure, applied here after ours: real ids.
    ended_at = await program.end(coaching)

    # The end is recorded on the de-identified row; the person's id does not come back.
    [ended] = await program.rows(MatchFact, MatchFact.match_id == coaching.match_id)
    assert ended == {**erased, "ended_at": ended_at, "end_reason": "completed"}
    assert ended["participant_id"] != coaching.participant
    access = await consent.open(coaching.participant, "access")
    assert (await consent.receipt(access["id"]))["outcome"] == "nothing_held"
