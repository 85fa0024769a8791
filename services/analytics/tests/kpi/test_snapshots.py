"""Snapshots over simulated time (dates passed in, never slept): consent withdrawn between two
snapshots, the differencing attacks refused, the scheduled snapshots on each KPI's frequency."""

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_analytics.fact import consent
from tandem_analytics.kpi import service
from tandem_analytics.kpi.repository import Scope
from tandem_analytics.models import KpiSnapshotValue, ProviderFact
from tandem_kit.events import outbox_messages
from tandem_kit.pagination import PageParams

from .conftest import NOW, SETTINGS, Facts, figures, outcomes

HOUR = timedelta(hours=1)


def coaching(
    f: Facts, coach: uuid.UUID, n: int, *, approved: timedelta = timedelta(days=20)
) -> list[uuid.UUID]:
    people = [f.person() for _ in range(n)]
    for person in people:
        f.match(person, coach, approved=NOW - approved)
    return people


async def snapshot(
    db: async_sessionmaker[AsyncSession], scope: Scope, at: timedelta
) -> dict[str, tuple[str, float | None]]:
    async with db() as session, session.begin():
        taken = await service.take_snapshot(session, scope, settings=SETTINGS, now=NOW + at)
    return {k.name: (k.status, k.value) for k in taken.kpis}


async def test_withdrawal_between_two_snapshots_changes_the_second(
    db: async_sessionmaker[AsyncSession],
) -> None:
    f, coach = Facts(db), uuid.uuid4()
    people = coaching(f, coach, 10)
    await f.save()
    first = await snapshot(db, Scope(f.program), timedelta(0))
    assert first["coach_to_coachee_ratio"] == ("green", 10.0)

    async with db() as session, session.begin():
        await consent.record_change(session, people[0], granted=False, at=NOW + HOUR)
    # One person fewer a moment later: publishing would reveal them by subtraction.
    second = await snapshot(db, Scope(f.program), 2 * HOUR)
    assert second["coach_to_coachee_ratio"] == ("suppressed", None)

    # Once the crowd has moved by k (six more coachees), the figure is published again, without them.
    coaching(f, coach, 6, approved=timedelta(days=1))
    await f.save()
    third = await snapshot(db, Scope(f.program), 3 * HOUR)
    assert third["coach_to_coachee_ratio"] == ("green", 15.0)

    async with db() as session:
        points, total = await service.history(
            session, f.program, "coach_to_coachee_ratio", PageParams(limit=2, offset=0)
        )
    assert total == 3
    assert [(p.taken_at, p.status, p.value) for p in points] == [
        (NOW, "green", 10.0),
        (NOW + 2 * HOUR, "suppressed", None),
    ]


async def test_one_person_joining_between_snapshots_is_not_revealed(
    db: async_sessionmaker[AsyncSession],
) -> None:
    f, coach = Facts(db), uuid.uuid4()
    coaching(f, coach, 8)
    await f.save()
    assert (await snapshot(db, Scope(f.program), timedelta(0)))["coach_to_coachee_ratio"] == ("green", 8.0)
    coaching(f, coach, 1, approved=timedelta(minutes=1))
    await f.save()
    assert (await snapshot(db, Scope(f.program), timedelta(minutes=1)))["coach_to_coachee_ratio"] == (
        "suppressed",
        None,
    )


async def test_two_live_reads_a_person_apart_do_not_reveal_them(db: async_sessionmaker[AsyncSession]) -> None:
    """Live reads are published figures too: each is compared with every size its series was published
    with, live or snapshot, not with the last snapshot only."""
    f, coach = Facts(db), uuid.uuid4()
    coaching(f, coach, 10)
    await f.save()
    assert (await snapshot(db, Scope(f.program), timedelta(0)))["coach_to_coachee_ratio"] == ("green", 10.0)

    async def live(at: timedelta) -> tuple[str, float | None]:
        read = (await outcomes(db, Scope(f.program), now=NOW + at))["coach_to_coachee_ratio"]
        return read.status, read.value

    coaching(f, coach, 6, approved=timedelta(days=1))
    await f.save()
    assert await live(HOUR) == ("green", 16.0)  # six away from the snapshot's ten
    coaching(f, coach, 1, approved=timedelta(hours=23))
    await f.save()
    # Seven away from the snapshot, but one away from the live read before it.
    assert await live(2 * HOUR) == ("suppressed", None)
    # A snapshot now is refused the same way.
    assert (await snapshot(db, Scope(f.program), 3 * HOUR))["coach_to_coachee_ratio"] == ("suppressed", None)
    coaching(f, coach, 4, approved=timedelta(hours=22))
    await f.save()
    assert await live(4 * HOUR) == ("green", 21.0)  # five away from 16, eleven from 10


async def test_one_person_swapped_for_another_is_not_revealed(db: async_sessionmaker[AsyncSession]) -> None:
    """One person leaves (withdraws consent) and another joins: the count is the same, the people are
    not, and the two figures' difference would set the one against the other."""
    f, coach = Facts(db), uuid.uuid4()
    people = coaching(f, coach, 10)
    await f.save()
    assert (await snapshot(db, Scope(f.program), timedelta(0)))["coach_to_coachee_ratio"] == ("green", 10.0)
    # The same people read again: published.
    assert figures(await outcomes(db, Scope(f.program), now=NOW + HOUR))["coach_to_coachee_ratio"] == (
        "green",
        10.0,
    )

    async with db() as session, session.begin():
        await consent.record_change(session, people[0], granted=False, at=NOW + HOUR)
    coaching(f, coach, 1, approved=timedelta(minutes=1))
    await f.save()
    swapped = figures(await outcomes(db, Scope(f.program), now=NOW + 2 * HOUR))
    assert swapped["coach_to_coachee_ratio"] == ("suppressed", None)
    assert (await snapshot(db, Scope(f.program), 3 * HOUR))["coach_to_coachee_ratio"] == ("suppressed", None)

    coaching(f, coach, 5, approved=timedelta(minutes=1))  # k more people: published again
    await f.save()
    assert (await snapshot(db, Scope(f.program), 4 * HOUR))["coach_to_coachee_ratio"] == ("green", 15.0)


async def test_program_minus_cohort_attack_is_refused(db: async_sessionmaker[AsyncSession]) -> None:
    f, coach = Facts(db), uuid.uuid4()
    coaching(f, coach, 8, approved=timedelta(days=120))  # 2026-Q3
    coaching(f, coach, 3, approved=timedelta(days=20))  # 2026-Q4
    await f.save()
    program = (await outcomes(db, Scope(f.program)))["coach_to_coachee_ratio"]
    q3 = (await outcomes(db, Scope(f.program, "2026-Q3")))["coach_to_coachee_ratio"]
    q4 = (await outcomes(db, Scope(f.program, "2026-Q4")))["coach_to_coachee_ratio"]
    # The program (11) is published; Q3 (8) would give away Q4's 3 by subtraction, Q4 is below k.
    assert (program.status, program.value) == ("green", 11.0)
    assert (q3.status, q3.value, q4.status) == ("suppressed", None, "suppressed")

    coaching(f, coach, 2, approved=timedelta(days=19))  # Q4 now 5: both cohorts stand on their own
    await f.save()
    q3 = (await outcomes(db, Scope(f.program, "2026-Q3")))["coach_to_coachee_ratio"]
    assert (q3.status, q3.value) == ("green", 8.0)


async def test_all_programs_minus_program_attack_is_refused(db: async_sessionmaker[AsyncSession]) -> None:
    big, small = Facts(db), Facts(db)
    coaching(big, uuid.uuid4(), 8)
    coaching(small, uuid.uuid4(), 3)
    await big.save()
    await small.save()
    everyone = (await outcomes(db, Scope()))["coach_to_coachee_ratio"]
    program = (await outcomes(db, Scope(big.program)))["coach_to_coachee_ratio"]
    cohort = (await outcomes(db, Scope(big.program, "2026-Q4")))["coach_to_coachee_ratio"]
    # All programs (11) are published; the big program (8), or its one cohort (the same 8), would
    # give away the small program's 3 by subtraction; the small one is below k.
    assert (everyone.status, everyone.value) == ("green", 5.5)
    assert (program.status, program.value, cohort.status) == ("suppressed", None, "suppressed")
    assert (await outcomes(db, Scope(small.program)))["coach_to_coachee_ratio"].status == "suppressed"

    coaching(small, uuid.uuid4(), 2)  # the rest is 5 now: the big program stands on its own
    await small.save()
    program = (await outcomes(db, Scope(big.program)))["coach_to_coachee_ratio"]
    cohort = (await outcomes(db, Scope(big.program, "2026-Q4")))["coach_to_coachee_ratio"]
    assert (program.status, program.value) == ("green", 8.0)
    assert (cohort.status, cohort.value) == ("green", 8.0)


async def test_snapshot_emits_kpi_snapshot_taken(db: async_sessionmaker[AsyncSession]) -> None:
    f = Facts(db)
    coaching(f, uuid.uuid4(), 5)
    await f.save()
    async with db() as session, session.begin():
        taken = await service.take_snapshot(session, Scope(f.program), settings=SETTINGS, now=NOW)
    async with db() as session:
        payload = await session.scalar(
            select(outbox_messages.c.payload).where(
                outbox_messages.c.subject == "tandem.analytics.KpiSnapshotTaken"
            )
        )
    assert payload is not None
    data = payload["data"]
    assert (data["snapshot_id"], data["program_id"], data["cohort"]) == (str(taken.id), str(f.program), None)
    assert {"name": "coach_to_coachee_ratio", "value": 5.0, "status": "green"} in data["kpis"]
    assert len(data["kpis"]) == 16


async def test_scheduled_snapshots_follow_each_kpis_frequency(db: async_sessionmaker[AsyncSession]) -> None:
    f = Facts(db)
    coaching(f, uuid.uuid4(), 5)
    f.rows.append(ProviderFact(provider_id=uuid.uuid4(), person_id=uuid.uuid4(), program_id=f.program, kind="coach",
                               capacity=5, registered_at=NOW))  # fmt: skip
    await f.save()

    async def names_at(days: int) -> set[str]:
        async with db() as session, session.begin():
            await service.scheduled_snapshots(session, settings=SETTINGS, now=NOW + timedelta(days=days))
        async with db() as session:
            rows = await session.scalars(
                select(KpiSnapshotValue.name).where(
                    KpiSnapshotValue.program_id == f.program,
                    KpiSnapshotValue.taken_at == NOW + timedelta(days=days),
                )
            )
            return set(rows.all())

    assert len(await names_at(0)) == 16  # everything the first time
    assert await names_at(10) == set()  # nothing is due yet
    monthly = await names_at(30)
    assert "coach_utilization" in monthly
    assert "coach_to_coachee_ratio" not in monthly  # quarterly
    assert "coach_to_coachee_ratio" in await names_at(91)
