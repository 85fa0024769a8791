"""Pilot charters, gate evaluations from the data, mitigations, behaviour measures, steering decisions."""

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.events import GateEvaluated, PilotDecisionRecorded
from tandem_analytics.models.pilot import GateEvaluation, Pilot, PilotDecision, PilotMeasure, PilotMitigation
from tandem_analytics.pilot import domain, repository, schemas
from tandem_kit.auth import Principal
from tandem_kit.errors import Conflict, Forbidden, NotFound, Unprocessable
from tandem_kit.events import emit
from tandem_kit.pagination import PageParams, fetch_page

log = structlog.get_logger("tandem.analytics.pilot")
SCHEDULER = "scheduler"


class PilotNotFound(NotFound):
    code, title = "pilot-not-found", "Pilot not found"


class GateNotDue(Conflict):
    code, title = "gate-not-due", "Gate not due yet"


class UnknownGate(NotFound):
    code, title = "gate-not-found", "Gate not found"


class EvaluationNotFound(Unprocessable):
    code, title = "evaluation-not-found", "Gate evaluation not found"


class SupervisorRequired(Forbidden):
    code, title = "supervisor-required", "Program manager or admin required"


def actor(principal: Principal) -> str:
    return principal.person_id or principal.subject


async def _readable(session: AsyncSession, principal: Principal, pilot_id: UUID) -> Pilot:
    pilot = await repository.get_readable(session, principal, pilot_id)
    if pilot is None:
        raise PilotNotFound(f"No pilot {pilot_id}.", parameter="pilot_id")
    return pilot


async def _view(session: AsyncSession, pilot: Pilot) -> schemas.Pilot:
    cohort = (await repository.cohorts(session, [pilot.id]))[pilot.id]
    return schemas.Pilot.of(pilot, cohort)


async def create_pilot(
    session: AsyncSession, principal: Principal, data: schemas.PilotCreate
) -> schemas.Pilot:
    pilot = Pilot(
        id=uuid4(),
        program_id=data.program_id,
        sponsor_id=data.sponsor_id,
        start_date=data.start_date,
        linked_kpis=[k.model_dump() for k in data.linked_kpis],
        created_by=actor(principal),
        created_at=datetime.now(UTC),
    )
    session.add(pilot)
    await session.flush()
    await repository.add_members(session, pilot.id, data.cohort)
    log.info("analytics.pilot.created", pilot_id=str(pilot.id), cohort_size=len(data.cohort))
    return schemas.Pilot.of(pilot, list(data.cohort))


async def get_pilot(session: AsyncSession, principal: Principal, pilot_id: UUID) -> schemas.Pilot:
    return await _view(session, await _readable(session, principal, pilot_id))


async def list_pilots(
    session: AsyncSession, principal: Principal, params: PageParams, *, program_id: UUID | None
) -> tuple[list[schemas.Pilot], int]:
    rows, total = await fetch_page(
        session, repository.list_statement(principal, program_id=program_id), params
    )
    cohorts = await repository.cohorts(session, [r.id for r in rows])
    return [schemas.Pilot.of(r, cohorts[r.id]) for r in rows], total


async def evaluate(
    session: AsyncSession, pilot: Pilot, gate: str, *, as_of: date, by: str, k: int
) -> schemas.GateEvaluation:
    """Gather the evidence as of `as_of`, suppress small cells, decide, store, and emit `GateEvaluated`."""
    cohort_size = len((await repository.cohorts(session, [pilot.id]))[pilot.id])
    raw = await repository.gather(session, pilot, as_of, cohort_size=cohort_size, k=k)
    evidence = domain.suppress(raw, k)
    outcome = domain.evaluate(gate, evidence)
    now = datetime.now(UTC)
    numbers = evidence.as_numbers()
    row = GateEvaluation(
        id=uuid4(),
        pilot_id=pilot.id,
        gate=gate,
        as_of=as_of,
        verdict=outcome.verdict,
        evidence=numbers,
        criteria=schemas.criteria_json(outcome.criteria),
        evaluated_by=by,
        evaluated_at=now,
    )
    session.add(row)
    await session.flush()
    await emit(
        session,
        GateEvaluated(
            evaluation_id=row.id,
            pilot_id=pilot.id,
            program_id=pilot.program_id,
            gate=gate,
            verdict=outcome.verdict,
            evaluated_at=now,
            evidence=numbers,
        ),
    )
    log.info("analytics.pilot.gate_evaluated", pilot_id=str(pilot.id), gate=gate, verdict=outcome.verdict)
    return schemas.GateEvaluation.of(row)


async def evaluate_gate(
    session: AsyncSession,
    principal: Principal,
    pilot_id: UUID,
    gate: str,
    *,
    as_of: date | None,
    k: int,
) -> schemas.GateEvaluation:
    if gate not in domain.GATES:
        raise UnknownGate(f"No gate {gate!r}; known: {', '.join(domain.GATES)}.", parameter="gate")
    pilot = await _readable(session, principal, pilot_id)
    day = as_of or datetime.now(UTC).date()
    due = domain.gate_date(pilot.start_date, gate)
    if day < due:
        raise GateNotDue(
            f"Gate {gate} is due on {due.isoformat()}; as_of is {day.isoformat()}.", due_on=due.isoformat()
        )
    return await evaluate(session, pilot, gate, as_of=day, by=actor(principal), k=k)


async def evaluate_due(session: AsyncSession, today: date, *, k: int) -> list[schemas.GateEvaluation]:
    """The scheduled run: every gate that came due and was never evaluated, as of its own date."""
    done = []
    for pilot, gate in await repository.unevaluated_due_gates(session, today):
        when = domain.gate_date(pilot.start_date, gate)
        done.append(await evaluate(session, pilot, gate, as_of=when, by=SCHEDULER, k=k))
    return done


async def list_evaluations(
    session: AsyncSession, principal: Principal, pilot_id: UUID, params: PageParams, *, gate: str | None
) -> tuple[list[schemas.GateEvaluation], int]:
    pilot = await _readable(session, principal, pilot_id)
    rows, total = await fetch_page(session, repository.evaluations_statement(pilot.id, gate), params)
    return [schemas.GateEvaluation.of(r) for r in rows], total


async def record_mitigation(
    session: AsyncSession, principal: Principal, pilot_id: UUID, data: schemas.MitigationCreate
) -> schemas.Mitigation:
    pilot = await _readable(session, principal, pilot_id)
    row = PilotMitigation(
        id=uuid4(),
        pilot_id=pilot.id,
        gate=data.gate,
        text=data.text,
        recorded_on=data.recorded_on or datetime.now(UTC).date(),
        recorded_by=actor(principal),
    )
    session.add(row)
    await session.flush()
    return schemas.Mitigation.of(row)


async def list_mitigations(
    session: AsyncSession, principal: Principal, pilot_id: UUID, params: PageParams
) -> tuple[list[schemas.Mitigation], int]:
    pilot = await _readable(session, principal, pilot_id)
    rows, total = await fetch_page(session, repository.mitigations_statement(pilot.id), params)
    return [schemas.Mitigation.of(r) for r in rows], total


async def record_measure(
    session: AsyncSession, principal: Principal, pilot_id: UUID, data: schemas.MeasureCreate
) -> schemas.Measure:
    pilot = await _readable(session, principal, pilot_id)
    row = PilotMeasure(id=uuid4(), pilot_id=pilot.id, recorded_by=actor(principal), **data.model_dump())
    session.add(row)
    await session.flush()
    return schemas.Measure.of(row)


async def list_measures(
    session: AsyncSession, principal: Principal, pilot_id: UUID, params: PageParams
) -> tuple[list[schemas.Measure], int]:
    pilot = await _readable(session, principal, pilot_id)
    rows, total = await fetch_page(session, repository.measures_statement(pilot.id), params)
    return [schemas.Measure.of(r) for r in rows], total


async def record_decision(
    session: AsyncSession, principal: Principal, pilot_id: UUID, data: schemas.DecisionCreate
) -> schemas.Decision:
    """The steering committee's decision: a program manager, an admin, or a machine client records it."""
    if principal.person_id is not None and not principal.supervises:
        raise SupervisorRequired("Only a program manager or an admin records a steering decision.")
    pilot = await _readable(session, principal, pilot_id)
    if data.evaluation_id is not None:
        evaluation = await repository.evaluation_of(session, pilot.id, data.evaluation_id)
        if evaluation is None or evaluation.gate != data.gate:
            raise EvaluationNotFound(
                f"No evaluation {data.evaluation_id} of gate {data.gate} for this pilot.",
                errors=[{"detail": "not an evaluation of this gate", "pointer": "#/evaluation_id"}],
            )
    row = PilotDecision(
        id=uuid4(),
        pilot_id=pilot.id,
        gate=data.gate,
        decision=data.decision,
        rationale=data.rationale,
        evaluation_id=data.evaluation_id,
        decided_by=actor(principal),
        decided_at=datetime.now(UTC),
    )
    session.add(row)
    await session.flush()
    await emit(
        session,
        PilotDecisionRecorded(
            decision_id=row.id,
            pilot_id=pilot.id,
            program_id=pilot.program_id,
            gate=row.gate,
            decision=row.decision,
            decided_by=row.decided_by,
            decided_at=row.decided_at,
        ),
    )
    log.info(
        "analytics.pilot.decision_recorded", pilot_id=str(pilot.id), gate=row.gate, decision=row.decision
    )
    return schemas.Decision.of(row)


async def list_decisions(
    session: AsyncSession, principal: Principal, pilot_id: UUID, params: PageParams
) -> tuple[list[schemas.Decision], int]:
    pilot = await _readable(session, principal, pilot_id)
    rows, total = await fetch_page(session, repository.decisions_statement(pilot.id), params)
    return [schemas.Decision.of(r) for r in rows], total
