"""The ledger's service layer, and the in-process hook other modules (the SLA clocks) register."""

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.testing import sessionmaker_of
from tandem_scheduling.attendance import domain, hooks, repository, service
from tandem_scheduling.attendance.schemas import AttendanceMarkCreate
from tandem_scheduling.models import Session

POLICY = service.AttendancePolicy()


def person(person_id: UUID, *roles: str) -> Principal:
    return Principal(
        subject=str(person_id),
        client_id="front-end",
        scopes=frozenset({"scheduling:read", "scheduling:write"}),
        token_id="t",
        claims={"person_id": str(person_id), "roles": list(roles)},
    )


@pytest.fixture
def heard() -> Iterator[list[tuple[UUID, UUID, str]]]:
    calls: list[tuple[UUID, UUID, str]] = []

    async def on_mark(
        _session: AsyncSession,
        engagement_id: UUID,
        row: Session,
        outcome: str,
        _at: datetime,
        _policy: service.AttendancePolicy,
    ) -> None:
        calls.append((engagement_id, row.id, outcome))

    hooks.register(on_mark)
    yield calls
    hooks._callbacks.remove(on_mark)


async def test_first_mark_calls_the_hook_once_and_a_repeat_changes_nothing(
    app: FastAPI, make_engagement: Any, make_session: Any, heard: list[tuple[UUID, UUID, str]]
) -> None:
    engagement = await make_engagement()
    kickoff = await make_session(engagement, kind="kickoff")
    participant = person(engagement.participant_id, "participant")
    async with sessionmaker_of(app)() as session:
        first = await service.record(
            session, participant, kickoff.id, AttendanceMarkCreate(outcome="attended"), policy=POLICY
        )
        again = await service.record(
            session, participant, kickoff.id, AttendanceMarkCreate(outcome="attended"), policy=POLICY
        )
        await session.commit()
    assert first.mark is not None
    assert again.mark is not None
    assert (first.mark.revision, first.mark.recorded_by_role) == (1, "participant")
    assert again.mark.id == first.mark.id
    assert heard == [(engagement.id, kickoff.id, "attended")]


async def test_a_mark_before_the_start_is_refused(
    app: FastAPI, make_engagement: Any, make_session: Any
) -> None:
    engagement = await make_engagement()
    later = await make_session(engagement, ago=-timedelta(hours=2))
    async with sessionmaker_of(app)() as session:
        with pytest.raises(service.SessionNotStarted) as refused:
            await service.record(
                session,
                person(engagement.provider_person_id, "coach"),
                later.id,
                AttendanceMarkCreate(outcome="attended"),
                policy=POLICY,
            )
    assert refused.value.extensions["rule"] == "session-not-started"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(marks=st.lists(st.sampled_from(domain.OUTCOMES), min_size=1, max_size=8))
async def test_revisions_follow_the_changes_and_repeats_add_nothing(
    app: FastAPI, make_engagement: Any, make_session: Any, outbox: Any, marks: list[str]
) -> None:
    engagement = await make_engagement()
    row = await make_session(engagement)
    manager = person(uuid4(), "program_manager")
    async with sessionmaker_of(app)() as session:
        for i, outcome in enumerate(marks):
            await service.record(
                session,
                manager,
                row.id,
                AttendanceMarkCreate(outcome=outcome, reason=f"correction {i}"),  # type: ignore[arg-type]
                policy=POLICY,
            )
        await session.commit()
    # Consecutive repeats collapse: each change is one revision and one event with that revision.
    changes = [o for i, o in enumerate(marks) if i == 0 or marks[i - 1] != o]
    async with sessionmaker_of(app)() as session:
        history = await repository.history(session, row.id)
    assert [(m.revision, m.outcome) for m in history] == list(enumerate(changes, start=1))
    events = [
        await outbox(
            "SessionAttended" if o == "attended" else "SessionMissed", session_id=str(row.id), revision=str(r)
        )
        for r, o in enumerate(changes, start=1)
    ]
    assert events == [1] * len(changes)
    assert await outbox("SessionAttended", session_id=str(row.id)) + await outbox(
        "SessionMissed", session_id=str(row.id)
    ) == len(changes)
