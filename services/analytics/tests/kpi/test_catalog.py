"""Every KPI recomputed from hand-written raw rows: the expected figures are worked out by hand in the
comments, then compared exactly with what the service computes."""

import uuid
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_analytics.kpi.repository import Scope
from tandem_analytics.models import (
    AttendanceFact,
    BusinessKpiValue,
    CoachingAdoptionReport,
    KpiProgram,
    NpsResponse,
    PromotionFact,
    ProviderFact,
    SessionTelemetry,
    SlaOutcomeFact,
    SponsorActionFact,
    Vendor,
)

from .conftest import NOW, Facts, figures, outcomes

DAY = timedelta(days=1)


async def build(db: async_sessionmaker[AsyncSession]) -> Facts:
    f = Facts(db)
    p = [f.person() for _ in range(10)]
    c1, c2, mentor = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    f.rows += [
        ProviderFact(provider_id=c, person_id=uuid.uuid4(), program_id=f.program, kind="coach", capacity=10,
                     registered_at=NOW - 100 * DAY)
        for c in (c1, c2)
    ]  # fmt: skip
    f.rows.append(KpiProgram(program_id=f.program, started_on=(NOW - 400 * DAY).date(), updated_at=NOW))
    # Coaching: p0-p7 approved 60 days ago; p7's match was reassigned 10 days ago to a new one with c1.
    coach = {i: f.match(p[i], c1 if i < 4 else c2, approved=NOW - 60 * DAY) for i in range(7)}
    f.match(p[7], c2, approved=NOW - 60 * DAY, ended_at=NOW - 10 * DAY, end_reason="reassigned")
    coach[7] = f.match(p[7], c1, approved=NOW - 10 * DAY)
    # Mentoring: p8, p9 (90 days ago), p0, p1, p2 (30 days ago): 5 mentees.
    mentoring = {i: f.match(p[i], mentor, kind="mentor", approved=NOW - 90 * DAY) for i in (8, 9)}
    mentoring |= {i: f.match(p[i], mentor, kind="mentor", approved=NOW - 30 * DAY) for i in (0, 1, 2)}
    # Sessions: p0-p4 two days after approval; p6 (57 days after) and p7's new match (8 days after).
    sessions = {i: f.booked(coach[i], p[i], NOW - 58 * DAY) for i in range(5)}
    sessions[6] = f.booked(coach[6], p[6], NOW - 3 * DAY)
    sessions[7] = f.booked(coach[7], p[7], NOW - 2 * DAY)
    # Attendance ledger: p0-p2 and p4 held, p3 a no-show, p5 rescheduled (not due).
    for i, outcome in enumerate(("attended",) * 3 + ("no_show_participant", "attended", "rescheduled")):
        f.rows.append(
            AttendanceFact(
                session_id=sessions.get(i, uuid.uuid4()), engagement_id=uuid.uuid4(), match_id=coach[i],
                program_id=f.program, participant_id=p[i], provider_person_id=uuid.uuid4(), kind="regular",
                starts_at=NOW - 58 * DAY, held=outcome == "attended", outcome=outcome, revision=1,
                recorded_at=NOW - 58 * DAY, recorded_by_role="provider",
            )
        )  # fmt: skip
    # Vendor telemetry: p0, p1, p2, p4, p6 completed (ratings 4, 3, 4, 2, 5), p3 a no-show.
    vendor = Vendor(id=uuid.uuid4(), name=f"v-{uuid.uuid4().hex[:6]}", secret_encrypted=b"sealed")
    f.rows.append(vendor)
    for i, (kind, rating) in {
        0: ("session.completed", 4), 1: ("session.completed", 3), 2: ("session.completed", 4),
        3: ("session.no_show", None), 4: ("session.completed", 2), 6: ("session.completed", 5),
    }.items():  # fmt: skip
        f.rows.append(
            SessionTelemetry(
                vendor_id=vendor.id, webhook_id=uuid.uuid4().hex, type=kind, occurred_at=NOW - 2 * DAY,
                vendor_session_id=f"vs-{i}", session_id=sessions.get(i), match_id=coach[i], participant_id=p[i],
                provider_id=uuid.uuid4(), started_at=NOW - 3 * DAY, duration_minutes=50, rating=rating,
                received_at=NOW - 2 * DAY,
            )
        )  # fmt: skip
    # SLA clocks: coaching p0-p3, p5 met, p4 breached; mentoring p8, p0, p1, p2 met, p9 breached.
    clocks = [("coaching", coach[i], i != 4) for i in (0, 1, 2, 3, 4, 5)]
    clocks += [("mentoring", mentoring[i], i != 9) for i in (8, 9, 0, 1, 2)]
    for layer, match, met in clocks:
        f.rows.append(
            SlaOutcomeFact(engagement_id=uuid.uuid4(), sla="kickoff_held", due_at=NOW - 20 * DAY, match_id=match,
                           program_id=f.program, layer=layer, met=met, ended_at=NOW - 20 * DAY)
        )  # fmt: skip
    # Sponsor actions: p8 two (and one retracted), p9, p0, p1 one each; p2 none.
    for i, retracted in ((8, False), (8, False), (8, True), (9, False), (0, False), (1, False)):
        f.rows.append(
            SponsorActionFact(action_id=uuid.uuid4(), match_id=mentoring[i], program_id=f.program,
                              participant_id=p[i], mentor_person_id=uuid.uuid4(), kind="introduction",
                              action_date=(NOW - 5 * DAY).date(), outcome="succeeded", logged_at=NOW - 5 * DAY,
                              retracted_at=NOW - DAY if retracted else None)
        )  # fmt: skip
    # Promotions: p0 (after joining) and p1 count; p8 was promoted before joining, p9 too long ago.
    for i, days in ((0, 20), (1, 5), (8, 100), (9, 400)):
        f.rows.append(PromotionFact(person_id=p[i], promoted_at=NOW - days * DAY))
    # NPS after the cohort: 12 answers, 6 promoters, 3 passives, 3 detractors.
    respondents = [*p, f.person(), f.person()]
    for who, score in zip(respondents, (10, 9, 9, 10, 9, 10, 7, 8, 7, 3, 6, 0), strict=True):
        f.rows.append(
            NpsResponse(program_id=f.program, cohort="2026-Q3", respondent_id=who, score=score,
                        responded_at=NOW - 7 * DAY, vendor_id=vendor.id)
        )  # fmt: skip
    # Manager adoption: latest quarter 7 of 10 say yes; the quarter before (2 of 10) is not read.
    managers = [f.person() for _ in range(10)]
    for quarter, yes in (("2026-Q4", 7), ("2026-Q3", 2)):
        f.rows += [
            CoachingAdoptionReport(program_id=f.program, quarter=quarter, respondent_id=m, adopted=j < yes,
                                   responded_at=NOW - 10 * DAY, vendor_id=vendor.id)
            for j, m in enumerate(managers)
        ]  # fmt: skip
    # Business KPI (csat): the latest period wins.
    for period, value in (("2026-Q3", 74.0), ("2026-Q4", 77.5)):
        f.rows.append(
            BusinessKpiValue(program_id=f.program, kpi_name="csat", period=period, segment_kind="program",
                             segment="", value=value, imported_at=NOW - DAY, imported_by="test")
        )  # fmt: skip
    await f.save()
    return f


async def test_every_kpi_from_raw_rows(db: async_sessionmaker[AsyncSession]) -> None:
    f = await build(db)
    found = await outcomes(db, Scope(f.program))
    assert figures(found) == {
        # 8 active coaching matches (p0-p6, p7's new one) over 2 coaches, 20 seats.
        "coach_to_coachee_ratio": ("green", 4.0),
        "coach_utilization": ("red", 0.4),
        # (6 - 3) / 12 x 100.
        "participant_nps": ("red", 25.0),
        # p0, p1 of 10 participants.
        "promotion_rate": ("green", 0.2),
        "manager_coaching_adoption": ("green", 0.7),
        # 77.5 vs 78: within 10 % of 72 -> 78.
        "business_kpi": ("amber", 77.5),
        "session_completion_rate": ("green", 0.8333),
        # Ledger 4 held of 5 due (rescheduled left out); p6 by vendor outcome, p7 no outcome: 5 / 7.
        "attendance_rate": ("red", 0.7143),
        # 1 reassigned of 14 approved matches.
        "reassignment_rate": ("green", 0.0714),
        # 5 actions not retracted / 5 mentees.
        "sponsor_actions_per_mentee": ("green", 1.0),
        # median of 4, 3, 4, 2, 5.
        "participant_rating_median": ("green", 4.0),
        "sla_adherence": ("red", 0.8182),
        "sla_adherence.coaching": ("red", 0.8333),
        "sla_adherence.mentoring": ("red", 0.8),
        "sla_adherence.network": ("insufficient_data", None),
        # (5 x 2 + 57 + 8) / 7 days.
        "time_to_first_session": ("red", 10.7143),
    }
    assert (found["attendance_rate"].numerator, found["attendance_rate"].denominator) == (5, 7)
    assert found["participant_nps"].population == 12
    assert found["time_to_first_session"].target == 7


async def test_without_consent_nothing_counts(db: async_sessionmaker[AsyncSession]) -> None:
    f = Facts(db)
    coach = uuid.uuid4()
    for _ in range(6):
        f.match(uuid.uuid4(), coach, approved=NOW - 10 * DAY)  # no consent period
    await f.save()
    found = await outcomes(db, Scope(f.program))
    assert figures(found)["coach_to_coachee_ratio"] == ("insufficient_data", None)


async def test_consent_granted_after_the_fact_does_not_cover_it(db: async_sessionmaker[AsyncSession]) -> None:
    f = Facts(db)
    coach = uuid.uuid4()
    early = [f.person(consent_from=NOW - 30 * DAY) for _ in range(5)]
    late = [f.person(consent_from=NOW - 5 * DAY) for _ in range(3)]
    for person in early + late:
        f.match(person, coach, approved=NOW - 10 * DAY)
    await f.save()
    ratio = (await outcomes(db, Scope(f.program)))["coach_to_coachee_ratio"]
    assert (ratio.value, ratio.population) == (5.0, 5)


async def test_cohort_is_the_quarter_of_first_approval(db: async_sessionmaker[AsyncSession]) -> None:
    f = Facts(db)
    coach = uuid.uuid4()
    for _ in range(6):
        f.match(f.person(), coach, approved=NOW - 120 * DAY)  # 2026-08-02: 2026-Q3
    for _ in range(7):
        f.match(f.person(), coach, approved=NOW - 20 * DAY)  # 2026-11-10: 2026-Q4
    await f.save()
    q3 = (await outcomes(db, Scope(f.program, "2026-Q3")))["coach_to_coachee_ratio"]
    q4 = (await outcomes(db, Scope(f.program, "2026-Q4")))["coach_to_coachee_ratio"]
    assert (q3.value, q4.value) == (6.0, 7.0)


async def test_program_start_moves_the_target_in_force(db: async_sessionmaker[AsyncSession]) -> None:
    f = Facts(db)
    f.rows.append(KpiProgram(program_id=f.program, started_on=date(2026, 8, 31), updated_at=NOW))
    await f.save()
    ratio = (await outcomes(db, Scope(f.program)))["coach_to_coachee_ratio"]
    # 91 days = 2.99 months: from 25 towards the 6-month target 20.
    assert ratio.target == round(25 + (20 - 25) * (91 / (365.25 / 12)) / 6, 4)
