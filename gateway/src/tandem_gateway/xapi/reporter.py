"""Statements out: program milestones and microlearning assignments, sent to the organisation's LRS
for the people who granted the LRS reporting purpose, under ids derived from what caused them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_gateway.settings import Settings
from tandem_gateway.xapi import domain, people, repository
from tandem_gateway.xapi.lrs import LrsRefused, Outbound
from tandem_gateway.xapi.schemas import AssignmentCreate, AssignmentResult
from tandem_kit.errors import ProblemError

log = structlog.get_logger("tandem.gateway.xapi.reporter")


class LrsUnavailable(ProblemError):
    status, code, title = 502, "lrs-unavailable", "The LRS did not accept the statements"


async def report_milestone(
    session: AsyncSession,
    outbound: Outbound,
    settings: Settings,
    *,
    event_id: uuid.UUID,
    milestone: str,
    person_ids: Sequence[uuid.UUID],
    activity: str,
    at: datetime,
    registration: uuid.UUID | None,
) -> int:
    """Send one statement per consenting person to every enabled LRS; raises `LrsRefused` so the event
    is retried (then parked in dead letters). The ids make a retry a no-op at the LRS."""
    connections = await repository.enabled_connections(session)
    if not connections:
        return 0
    consenting = await outbound.consenting(person_ids)
    sent = 0
    for person_id in person_ids:
        if person_id not in consenting:
            continue
        statement = domain.milestone_statement(
            statement_id=domain.outbound_statement_id(event_id, person_id),
            actor=await people.actor_for(session, settings, person_id),
            milestone=milestone,
            activity_id=f"{settings.xapi.activity_base.rstrip('/')}/{activity}",
            timestamp=at,
            registration=registration,
        )
        for connection in connections:
            await outbound.send(connection, statement)
        sent += 1
    log.info("gateway.xapi.milestone_reported", milestone=milestone, event_id=str(event_id), statements=sent)
    return sent


async def assign(
    session: AsyncSession, outbound: Outbound, settings: Settings, data: AssignmentCreate
) -> AssignmentResult:
    """An `assigned` statement (verb `https://w3id.org/xapi/tla/verbs/assigned`) per consenting person."""
    people_ids = list(dict.fromkeys(data.person_ids))
    consenting = await outbound.consenting(people_ids)
    connections = await repository.enabled_connections(session)
    sent: list[uuid.UUID] = []
    for person_id in people_ids:
        if person_id not in consenting:
            continue
        statement_id = domain.outbound_statement_id(data.assignment_id, person_id)
        statement = {
            "id": str(statement_id),
            "actor": await people.actor_for(session, settings, person_id),
            "verb": {"id": domain.ASSIGNED, "display": {"en-US": "assigned"}},
            "object": {
                "objectType": "Activity",
                "id": data.activity_id,
                "definition": {"name": {"en-US": data.name}},
            },
            "context": {"registration": str(data.assignment_id), "platform": "Tandem"},
            # No timestamp: the LRS sets it, so a repeated assignment is the same statement (204, not 409).
            "version": "1.0.3",
        }
        try:
            for connection in connections:
                await outbound.send(connection, statement)
        except LrsRefused as exc:
            raise LrsUnavailable(
                "The LRS refused or could not be reached; send the same assignment again (it is not repeated).",
                headers={"Retry-After": "30"},
            ) from exc
        sent.append(statement_id)
    skipped = [p for p in people_ids if p not in consenting]
    return AssignmentResult(sent=sent, skipped=skipped)
