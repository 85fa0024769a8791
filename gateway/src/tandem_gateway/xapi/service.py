"""The LRS endpoint's use cases: take statements (validated, idempotent by id, kept only when they are
a directory person's evidence on a mapped activity), void them, read them back."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_gateway.models import CurriculumMapping, XapiStatement
from tandem_gateway.settings import Settings
from tandem_gateway.xapi import domain, people, repository
from tandem_gateway.xapi.auth import XapiCaller
from tandem_gateway.xapi.events import TrainingEvidenceRecorded, TrainingEvidenceRetracted
from tandem_kit.errors import BadRequest, Conflict, NotFound
from tandem_kit.events import emit, emit_many

log = structlog.get_logger("tandem.gateway.xapi")

MAX_STATEMENTS = 1000  # one POST; an LMS sends more in several requests


class StatementInvalid(BadRequest):
    code, title = "xapi-statement-invalid", "Invalid xAPI statement"


class StatementConflict(Conflict):
    code, title = "xapi-statement-conflict", "Statement id already used for other content"


class StatementNotFound(NotFound):
    code, title = "xapi-statement-not-found", "Statement not found"


def invalid(error: domain.StatementError, *, index: int | None = None) -> StatementInvalid:
    """xAPI-style (the property, dotted) and problem+json (a JSON pointer) at once."""
    prop = error.path if index is None else f"[{index}]" + (f".{error.path}" if error.path else "")
    pointer = error.pointer if index is None else f"#/{index}" + error.pointer.removeprefix("#")
    return StatementInvalid(
        f"{prop or 'statement'} {error.detail}.",
        property=prop,
        errors=[{"detail": error.detail, "code": "xapi_invalid", "pointer": pointer.rstrip("/")}],
    )


@dataclass(frozen=True)
class Checked:
    id: uuid.UUID
    body: dict[str, Any]
    hash: str


def check(statements: Sequence[Any], *, batch: bool, put_id: uuid.UUID | None = None) -> list[Checked]:
    """Validate every statement, give those without one an id, refuse a batch that repeats an id."""
    if len(statements) > MAX_STATEMENTS:
        raise StatementInvalid(f"At most {MAX_STATEMENTS} statements per request.", property="")
    checked: list[Checked] = []
    seen: set[uuid.UUID] = set()
    for i, statement in enumerate(statements):
        try:
            given = domain.validate(statement)
        except domain.Invalid as exc:
            raise invalid(exc.error, index=i if batch else None) from None
        if put_id is not None and given is not None and given != put_id:
            raise StatementInvalid("The statement's id differs from statementId.", property="id")
        statement_id = put_id or given or uuid.uuid4()
        if statement_id in seen:
            raise StatementInvalid(
                f"Statement id {statement_id} appears twice in one batch.",
                property=f"[{i}].id",
                errors=[
                    {"detail": "repeats an earlier id", "code": "xapi_duplicate_id", "pointer": f"#/{i}/id"}
                ],
            )
        seen.add(statement_id)
        body = {**statement, "id": str(statement_id)}
        checked.append(Checked(statement_id, body, domain.content_hash(body)))
    return checked


async def store(
    session: AsyncSession, caller: XapiCaller, settings: Settings, statements: list[Checked]
) -> list[uuid.UUID]:
    """Apply a batch atomically: all ids back, whether kept or answered and dropped (data minimisation)."""
    existing = await repository.existing_hashes(session, [s.id for s in statements])
    for s in statements:
        if s.id in existing and existing[s.id] != s.hash:
            raise StatementConflict(
                f"Statement {s.id} was stored with other content.", property="id", statement_id=str(s.id)
            )
    fresh = [s for s in statements if s.id not in existing]
    now = datetime.now(UTC)
    authority = {"objectType": "Agent", "account": {"homePage": settings.issuer, "name": caller.who}}
    voiding = [s for s in fresh if domain.voided_target(s.body) is not None]
    plain = [s for s in fresh if domain.voided_target(s.body) is None]
    kept = await _keep_evidence(session, caller, settings, plain, now=now, authority=authority)
    kept += await _void(session, caller, voiding, now=now, authority=authority)
    log.info(
        "gateway.xapi.statements_received", received=len(statements), new=len(fresh), kept=kept, by=caller.who
    )
    return [s.id for s in statements]


def _row(
    s: Checked, caller: XapiCaller, person_id: uuid.UUID, *, now: datetime, authority: dict[str, Any]
) -> dict[str, Any]:
    body = {**s.body, "stored": now.isoformat(), "authority": authority}
    body.setdefault("timestamp", now.isoformat())
    body.setdefault("version", "1.0.3")
    target = s.body["object"]
    registration = s.body.get("context", {}).get("registration")
    return {
        "id": s.id,
        "content_hash": s.hash,
        "statement": body,
        "person_id": person_id,
        "actor_ifi": domain.actor_ifi(s.body["actor"]),
        "verb_id": s.body["verb"]["id"],
        "activity_id": target["id"] if target.get("objectType", "Activity") == "Activity" else None,
        "registration": uuid.UUID(registration) if registration else None,
        "voids": domain.voided_target(s.body),
        "writer": caller.who,
        "stored_at": now,
    }


async def _keep_evidence(
    session: AsyncSession,
    caller: XapiCaller,
    settings: Settings,
    statements: list[Checked],
    *,
    now: datetime,
    authority: dict[str, Any],
) -> int:
    evidence_kind = [s for s in statements if s.body["verb"]["id"] in domain.EVIDENCE_VERBS]
    if not evidence_kind:
        return 0
    activity_ids = sorted({a for s in evidence_kind for a in domain.activity_ids(s.body)})
    by_activity: dict[str, list[CurriculumMapping]] = {}
    for mapping in await repository.mappings_for(session, activity_ids):
        by_activity.setdefault(mapping.activity_id, []).append(mapping)
    mapped = [s for s in evidence_kind if any(a in by_activity for a in domain.activity_ids(s.body))]
    persons = await people.resolve(session, settings, [s.body["actor"] for s in mapped])
    rows: list[dict[str, Any]] = []
    evidence: list[dict[str, Any]] = []
    for s in mapped:
        person_id = persons.get(domain.actor_ifi(s.body["actor"]))
        if person_id is None:
            continue  # not a directory person: answered, not kept
        achieved = domain.parse_timestamp(s.body["timestamp"]) if "timestamp" in s.body else now
        found = _evidence_of(s, person_id, by_activity, achieved_at=achieved)
        if not found:
            continue
        rows.append(_row(s, caller, person_id, now=now, authority=authority))
        evidence += found
    inserted = await repository.insert_statements(session, rows)
    evidence = [e for e in evidence if e["statement_id"] in inserted]
    recorded = await repository.insert_evidence(session, evidence)
    await emit_many(
        session,
        [
            TrainingEvidenceRecorded(evidence_id=e["id"], **_event_fields(e))
            for e in evidence
            if e["id"] in recorded
        ],
    )
    return len(inserted)


def _event_fields(row: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "person_id",
        "program_id",
        "item",
        "statement_id",
        "verb",
        "counts",
        "score_scaled",
        "achieved_at",
    )
    return {k: row[k] for k in keys}


def _evidence_of(
    s: Checked,
    person_id: uuid.UUID,
    by_activity: dict[str, list[CurriculumMapping]],
    *,
    achieved_at: datetime,
) -> list[dict[str, Any]]:
    found: dict[tuple[uuid.UUID, str], dict[str, Any]] = {}
    # The most specific activity wins (an AU's own mapping before its course's).
    for activity in domain.activity_ids(s.body):
        for mapping in by_activity.get(activity, []):
            key = (mapping.program_id, mapping.item)
            result = domain.outcome(s.body, rule=mapping.rule, min_scaled=mapping.min_scaled)  # type: ignore[arg-type]
            if key in found or result is None:
                continue
            found[key] = {
                "id": domain.evidence_id(s.id, mapping.program_id, mapping.item),
                "person_id": person_id,
                "program_id": mapping.program_id,
                "item": mapping.item,
                "statement_id": s.id,
                "verb": result.verb,
                "counts": result.counts,
                "score_scaled": result.score_scaled,
                "achieved_at": achieved_at,
            }
    return list(found.values())


async def _void(
    session: AsyncSession,
    caller: XapiCaller,
    statements: list[Checked],
    *,
    now: datetime,
    authority: dict[str, Any],
) -> int:
    """A voiding statement is kept when it voids a kept statement; the target's evidence is retracted."""
    if not statements:
        return 0
    targets = await repository.kept_for_voiding(
        session, [t for s in statements if (t := domain.voided_target(s.body)) is not None]
    )
    kept = 0
    for s in statements:
        target = targets.get(domain.voided_target(s.body) or uuid.UUID(int=0))
        if target is None or target.voids is not None or target.voided_by is not None:
            continue  # nothing of ours to void (never kept, a voiding statement, or voided already)
        inserted = await repository.insert_statements(
            session, [_row(s, caller, target.person_id, now=now, authority=authority)]
        )
        if not inserted:
            continue
        target.voided_by = s.id
        for evidence in await repository.retract_evidence(session, target.id, voided_by=s.id, at=now):
            await emit(
                session,
                TrainingEvidenceRetracted(
                    evidence_id=evidence.id,
                    person_id=evidence.person_id,
                    program_id=evidence.program_id,
                    item=evidence.item,
                    statement_id=evidence.statement_id,
                    voided_by=s.id,
                    retracted_at=now,
                ),
            )
        kept += 1
    await session.flush()
    return kept


async def get_statement(
    session: AsyncSession, caller: XapiCaller, statement_id: uuid.UUID, *, voided: bool
) -> XapiStatement:
    """`statementId` finds a statement that is not voided; `voidedStatementId` one that is."""
    found = await repository.get_statement(session, caller.who, statement_id)
    if found is None or (found.voided_by is not None) != voided:
        name = "voidedStatementId" if voided else "statementId"
        raise StatementNotFound(f"No {'voided ' if voided else ''}statement {statement_id}.", parameter=name)
    return found


@dataclass(frozen=True)
class Query:
    agent: str | None
    verb: str | None
    activity: str | None
    registration: uuid.UUID | None
    since: datetime | None
    until: datetime | None
    limit: int
    ascending: bool
    after: int | None


def agent_ifi(raw: str) -> str:
    """The `agent` filter: a JSON agent, compared by its identifier."""
    try:
        agent = json.loads(raw)
        domain.validate_agent(agent)
    except (ValueError, domain.Invalid) as exc:
        raise StatementInvalid("agent must be a JSON Agent with one identifier.", parameter="agent") from exc
    return domain.actor_ifi(agent)


async def find_statements(
    session: AsyncSession, caller: XapiCaller, query: Query
) -> tuple[Sequence[XapiStatement], int | None]:
    """One page, and the cursor of the next page when there may be one."""
    found = await repository.find_statements(
        session,
        caller.who,
        actor_ifi=agent_ifi(query.agent) if query.agent is not None else None,
        verb=query.verb,
        activity=query.activity,
        registration=query.registration,
        since=query.since,
        until=query.until,
        after_seq=query.after,
        ascending=query.ascending,
        limit=query.limit + 1,
    )
    if len(found) > query.limit:
        return found[: query.limit], found[query.limit - 1].seq
    return found, None
