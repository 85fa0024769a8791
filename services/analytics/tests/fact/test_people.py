"""Directory facts from the gateway's HR events, kept only under the `analytics` consent: job history
("level on date D"), employment, promotions with their dates; in any order, once; a withdrawal deletes
them, an erasure too. Events are applied as their consumers apply them (committed, like the broker)."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tandem_analytics.fact import people
from tandem_analytics.fact.consumers import analytics_consent, directory_facts
from tandem_analytics.models import JobFact, PersonFact, PromotionFact
from tandem_analytics.privacy.service import erase_person, export_person
from tandem_kit.events import EventConsumer, EventEnvelope, Subscription
from tandem_kit.testing import eventually, sessionmaker_of

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def envelope(source: str, type_: str, data: dict[str, Any], *, at: datetime = T0) -> EventEnvelope:
    return EventEnvelope(id=uuid.uuid4(), type=type_, source=source, occurred_at=at, data=data)


async def apply(app: FastAPI, sub: Subscription, event: EventEnvelope) -> bool:
    return await EventConsumer(app.state.broker, sessionmaker_of(app), sub).apply(event)


def job(level: str, rank: int, department: str = "Risk", manager: str | None = None) -> dict[str, Any]:
    return {
        "title": "Lead",
        "level": level,
        "level_rank": rank,
        "department": department,
        "manager_id": manager,
    }


def provisioned(person: uuid.UUID, at: datetime = T0, **over: Any) -> EventEnvelope:
    data = {
        "person_id": str(person),
        "active": True,
        **job("L5", 5),
        "division": "Ops",
        "cost_center": "CC-1",
        "hire_date": "2019-04-01",
        "timezone": "Europe/Paris",
        "location": "Paris",
        "source": "scim",
        "occurred_at": at.isoformat(),
        **over,
    }
    return envelope("gateway", "PersonProvisioned", data, at=at)


def job_changed(person: uuid.UUID, old: dict[str, Any], new: dict[str, Any], at: datetime) -> EventEnvelope:
    promotion = (new["level_rank"] or 0) > (old["level_rank"] or 0)
    data = {
        "person_id": str(person),
        "old": old,
        "new": new,
        "promotion": promotion,
        "effective_at": at.isoformat(),
    }
    return envelope("gateway", "PersonJobChanged", data, at=at)


def consent(person: uuid.UUID, kind: str, at: datetime, purpose: str = "analytics") -> EventEnvelope:
    field = "granted_at" if kind == "ConsentGranted" else "withdrawn_at"
    data = {"person_id": str(person), "purpose": purpose, field: at.isoformat(), "notice_version": 1}
    return envelope("consent", kind, data, at=at)


async def grant(app: FastAPI, person: uuid.UUID, at: datetime = T0 - timedelta(days=1)) -> None:
    assert await apply(app, analytics_consent, consent(person, "ConsentGranted", at))


async def rows(app: FastAPI, model: Any, person: uuid.UUID) -> int:
    async with sessionmaker_of(app)() as session:
        return int(await session.scalar(select(func.count()).where(model.person_id == person)) or 0)


async def level_on(app: FastAPI, person: uuid.UUID, at: datetime) -> str | None:
    async with sessionmaker_of(app)() as session:
        found = await people.job_on(session, person, at)
        return found.level if found else None


async def test_job_history_answers_the_level_on_a_date(app: FastAPI) -> None:
    person = uuid.uuid4()
    await grant(app, person)
    assert await apply(app, directory_facts, provisioned(person))
    promoted_at = T0 + timedelta(days=90)
    assert await apply(app, directory_facts, job_changed(person, job("L5", 5), job("L6", 6), promoted_at))
    moved_at = T0 + timedelta(days=200)
    assert await apply(
        app, directory_facts, job_changed(person, job("L6", 6), job("L6", 6, "Audit"), moved_at)
    )

    assert await level_on(app, person, T0 - timedelta(days=1)) is None
    assert await level_on(app, person, T0 + timedelta(days=89)) == "L5"
    assert await level_on(app, person, promoted_at) == "L6"
    async with sessionmaker_of(app)() as session:
        latest = await people.job_on(session, person, moved_at + timedelta(days=1))
        assert latest is not None
        assert latest.department == "Audit"
        window = await people.promoted_between(session, [person], T0, T0 + timedelta(days=365))
        outside = await people.promoted_between(
            session, [person], promoted_at + timedelta(seconds=1), T0 + timedelta(days=365)
        )
        employment = await session.get(PersonFact, person)
    assert window == {person}
    assert outside == set()  # the move to Audit is no promotion
    assert employment is not None
    assert employment.hire_date is not None
    assert employment.hire_date.isoformat() == "2019-04-01"
    assert employment.active is True


async def test_nothing_is_kept_without_the_analytics_consent(app: FastAPI) -> None:
    person = uuid.uuid4()
    assert await apply(app, analytics_consent, consent(person, "ConsentGranted", T0, purpose="matching"))
    assert await apply(app, directory_facts, provisioned(person))
    assert await apply(
        app, directory_facts, job_changed(person, job("L5", 5), job("L6", 6), T0 + timedelta(days=1))
    )

    assert [await rows(app, m, person) for m in (JobFact, PersonFact, PromotionFact)] == [0, 0, 0]


async def test_a_withdrawal_deletes_the_facts_and_later_events_are_dropped(app: FastAPI) -> None:
    person = uuid.uuid4()
    await grant(app, person)
    assert await apply(app, directory_facts, provisioned(person))
    assert await apply(
        app, directory_facts, job_changed(person, job("L5", 5), job("L6", 6), T0 + timedelta(days=1))
    )
    assert [await rows(app, m, person) for m in (JobFact, PersonFact, PromotionFact)] == [2, 1, 1]

    assert await apply(app, analytics_consent, consent(person, "ConsentWithdrawn", T0 + timedelta(days=2)))
    assert [await rows(app, m, person) for m in (JobFact, PersonFact, PromotionFact)] == [0, 0, 0]
    assert await apply(
        app, directory_facts, job_changed(person, job("L6", 6), job("L7", 7), T0 + timedelta(days=3))
    )
    assert await rows(app, JobFact, person) == 0

    # A grant delivered late (older than the withdrawal) does not bring the consent back.
    assert await apply(app, analytics_consent, consent(person, "ConsentGranted", T0 + timedelta(hours=36)))
    async with sessionmaker_of(app)() as session:
        assert await people.consented(session, person) is False


async def test_deactivation_and_reactivation_keep_the_newest_state(app: FastAPI) -> None:
    person = uuid.uuid4()
    await grant(app, person)
    assert await apply(app, directory_facts, provisioned(person))
    back = {
        "person_id": str(person),
        "reactivated_at": (T0 + timedelta(days=20)).isoformat(),
        "source": "scim",
    }
    gone = {
        "person_id": str(person),
        "deactivated_at": (T0 + timedelta(days=10)).isoformat(),
        "source": "scim",
    }
    assert await apply(app, directory_facts, envelope("gateway", "PersonReactivated", back))
    assert await apply(app, directory_facts, envelope("gateway", "PersonDeactivated", gone))  # late, older
    async with sessionmaker_of(app)() as session:
        employment = await session.get(PersonFact, person)
    assert employment is not None
    assert employment.active is True
    assert employment.active_since == T0 + timedelta(days=20)


async def test_access_exports_the_directory_facts_and_erasure_deletes_them(app: FastAPI) -> None:
    person = uuid.uuid4()
    await grant(app, person)
    assert await apply(app, directory_facts, provisioned(person))
    assert await apply(
        app, directory_facts, job_changed(person, job("L5", 5), job("L6", 6), T0 + timedelta(days=1))
    )
    async with sessionmaker_of(app)() as session:
        exported = await export_person(session, person)
    assert exported.export is not None
    assert [j["level"] for j in exported.export["jobs"]] == ["L5", "L6"]
    assert exported.export["promotions"] == [
        {"promoted_at": (T0 + timedelta(days=1)).isoformat(), "from_level": "L5", "to_level": "L6"}
    ]
    assert exported.export["employment"][0]["hire_date"] == "2019-04-01"

    async with sessionmaker_of(app)() as session, session.begin():
        await erase_person(session, person)
    assert [await rows(app, m, person) for m in (JobFact, PersonFact, PromotionFact)] == [0, 0, 0]
    async with sessionmaker_of(app)() as session:
        assert await people.consented(session, person) is False


async def test_published_events_are_consumed_from_the_broker(app: FastAPI) -> None:
    person = uuid.uuid4()
    js = await app.state.broker.jetstream(timeout=5)
    granted = consent(person, "ConsentGranted", T0 - timedelta(days=1))
    await js.publish("tandem.consent.ConsentGranted", granted.model_dump_json().encode())

    async def consented() -> bool:
        async with sessionmaker_of(app)() as session:
            return await people.consented(session, person)

    assert await eventually(consented) is True
    await js.publish("tandem.gateway.PersonProvisioned", provisioned(person).model_dump_json().encode())

    async def kept() -> bool:
        return await rows(app, JobFact, person) == 1

    assert await eventually(kept) is True


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(range(4)), repeat=st.sampled_from(range(4)))
async def test_any_order_and_repeats_give_the_same_history(
    app: FastAPI, order: list[int], repeat: int
) -> None:
    person = uuid.uuid4()
    await grant(app, person)
    changes = [
        provisioned(person),
        job_changed(person, job("L5", 5), job("L6", 6), T0 + timedelta(days=30)),
        job_changed(person, job("L6", 6), job("L6", 6, "Audit"), T0 + timedelta(days=60)),
        job_changed(person, job("L6", 6, "Audit"), job("L7", 7, "Audit"), T0 + timedelta(days=90)),
    ]
    for i in [*order, repeat]:
        await apply(app, directory_facts, changes[i])

    assert [await level_on(app, person, T0 + timedelta(days=d)) for d in (0, 29, 30, 61, 95)] == [
        "L5",
        "L5",
        "L6",
        "L6",
        "L7",
    ]
    async with sessionmaker_of(app)() as session:
        promoted = await session.scalars(
            select(PromotionFact.promoted_at)
            .where(PromotionFact.person_id == person)
            .order_by(PromotionFact.promoted_at)
        )
        assert promoted.all() == [T0 + timedelta(days=30), T0 + timedelta(days=90)]
