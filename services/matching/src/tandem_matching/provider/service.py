import statistics
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.errors import Conflict, NotFound, Unprocessable
from tandem_kit.events import emit
from tandem_kit.pagination import PageParams
from tandem_matching import audit
from tandem_matching import eligibility as rules
from tandem_matching.auth import actor, require_manager, require_program_staff
from tandem_matching.events import ProviderCapacityChanged, ProviderEligibilityChanged, ProviderRegistered
from tandem_matching.evidence import repository as evidence_repository
from tandem_matching.models import CalibrationRecord, Program, Provider
from tandem_matching.program import service as program_service
from tandem_matching.provider import repository
from tandem_matching.provider.schemas import (
    CalibrationRecordCreate,
    Eligibility,
    EligibilityGate,
    EligibilityOverride,
    EligibilityOverrideUpdate,
    GateEvidence,
    ProviderCreate,
    ProviderUpdate,
)
from tandem_matching.provider.schemas import Provider as ProviderRead
from tandem_matching.scoring.domain import ProviderKind, RubricScore, calibration_score


class ProviderNotFound(NotFound):
    code, title = "provider-not-found", "Provider not found"


class ProviderExists(Conflict):
    code, title = "provider-exists", "Provider already registered"


class CapacityAboveLimit(Unprocessable):
    """The capacity is above the program's limit for this provider kind (coach caseload ratio, at
    most 3 high-touch mentees for a mentor)."""

    code, title = "capacity-above-limit", "Capacity above the program limit"


class CapacityBelowLoad(Conflict):
    code, title = "capacity-below-load", "Capacity below the current caseload"


class CalibrationForCoachesOnly(Unprocessable):
    code, title = "calibration-for-coaches-only", "Calibration records are for coaches"


class InvalidCalibration(Unprocessable):
    """The panel includes the coach, the date is in the future, or an evidence id is not the coach's
    counting evidence in this program."""

    code, title = "invalid-calibration", "Invalid calibration record"


def capacity_limit(program: Program, kind: str) -> int:
    return program.coach_caseload_limit if kind == "coach" else program.mentor_high_touch_limit


def _check_capacity(program: Program, kind: str, capacity: int) -> None:
    limit = capacity_limit(program, kind)
    if capacity > limit:
        raise CapacityAboveLimit(
            f"A {kind} in this program may carry at most {limit}; got {capacity}.", pointer="#/capacity"
        )


def to_read(provider: Provider) -> ProviderRead:
    return ProviderRead.model_validate(provider)


def now() -> datetime:
    return datetime.now(UTC)


async def reevaluate(
    session: AsyncSession, provider: Provider, *, now: datetime, policy: rules.Policy
) -> bool:
    """Evaluate the provider's gates at `now` and store them. A change of eligibility, its reasons or
    the override's part in it emits `ProviderEligibilityChanged` (not the first evaluation, which
    registration or the migration makes). The caller holds the row lock (`repository.lock`)."""
    evidence = await evidence_repository.counting(session, provider.program_id, provider.person_id)
    record = await repository.latest_calibration(session, provider.id)
    if record is not None:
        evidence.append(calibration_evidence(record))
    continuing = rules.continuing_inputs(provider, await repository.outcome(session, provider.id))
    report = rules.evaluate(
        ProviderKind(provider.kind),
        evidence=evidence,
        calibration=[RubricScore(**panel) for panel in provider.calibration],
        commitment_signed=provider.commitment_signed,
        ratings=continuing.ratings,
        sessions_completed=continuing.sessions_completed,
        sessions_scheduled=continuing.sessions_scheduled,
        override=rules.override_of(provider.eligibility_override),
        now=now,
        policy=policy,
    )
    first = provider.eligibility_evaluated_at is None
    before = (provider.eligible, list(provider.ineligible_reasons), provider.eligibility_overridden)
    after = (report.eligible, list(report.reasons), report.overridden)
    provider.eligible, provider.ineligible_reasons, provider.eligibility_overridden = after
    provider.gates = rules.gates_json(report)
    provider.eligibility_evaluated_at = now
    if first or before == after:
        return False
    await emit(
        session,
        ProviderEligibilityChanged(
            provider_id=provider.id,
            person_id=provider.person_id,
            program_id=provider.program_id,
            kind="coach" if provider.kind == "coach" else "mentor",
            eligible=report.eligible,
            reasons=list(report.reasons),
            override=report.overridden,
            changed_at=now,
        ),
    )
    return True


async def reevaluate_person(
    session: AsyncSession, program_id: UUID, person_id: UUID, *, now: datetime, policy: rules.Policy
) -> int:
    """After the person's evidence changed: their provider rows in the program, evaluated again."""
    changed = 0
    for provider in await repository.lock_person(session, program_id, person_id):
        changed += await reevaluate(session, provider, now=now, policy=policy)
    await session.flush()
    return changed


def _set_override(
    session: AsyncSession, principal: Principal, provider: Provider, data: EligibilityOverrideUpdate
) -> None:
    require_manager(principal)
    at = now()
    by = actor(principal)
    gates = sorted(set(data.gates))
    provider.eligibility_override = (
        {"gates": gates, "by": by, "at": at.isoformat(), "reason": data.reason} if gates else None
    )
    audit.record(
        session,
        "eligibility_override" if gates else "eligibility_override_cleared",
        by=by,
        program_id=provider.program_id,
        provider_id=provider.id,
        reason=data.reason,
        details={"gates": gates},
    )


def calibration_evidence(record: CalibrationRecord) -> rules.Evidence:
    """A calibration record counts as the calibration review, dated from the day the panel met."""
    return rules.Evidence(
        item=rules.CALIBRATION_REVIEW,
        evidence_id=record.id,
        statement_id=f"calibration-record:{record.id}",
        achieved_at=datetime.combine(record.held_on, time(0), UTC),
    )


async def record_calibration(
    session: AsyncSession,
    principal: Principal,
    provider_id: UUID,
    data: CalibrationRecordCreate,
    *,
    policy: rules.Policy,
    today: date | None = None,
) -> CalibrationRecord:
    """Store a coach's calibration review (panel, date, evidence, scores): it counts as the calibration
    review gate, its scores (when given) become the calibration panel; eligibility is evaluated again."""
    require_program_staff(principal)
    await get_provider(session, principal, provider_id)
    provider = await repository.lock(session, provider_id)
    assert provider is not None
    if provider.kind != "coach":
        raise CalibrationForCoachesOnly(
            "Only coaches are calibrated by a panel.", provider_id=str(provider.id)
        )
    at = now()
    if data.held_on > (today or at.date()):
        raise InvalidCalibration("The panel cannot have met in the future.", pointer="#/held_on")
    for index, member in enumerate(data.panel):
        if member == provider.person_id:
            raise InvalidCalibration("The coach cannot sit on their own panel.", pointer=f"#/panel/{index}")
    found = await evidence_repository.counting_ids(
        session, provider.program_id, provider.person_id, data.evidence_ids
    )
    for index, evidence_id in enumerate(data.evidence_ids):
        if evidence_id not in found:
            raise InvalidCalibration(
                "Not the coach's counting training evidence in this program.",
                pointer=f"#/evidence_ids/{index}",
            )
    scores = [s.model_dump() for s in data.scores or []]
    record = CalibrationRecord(
        provider_id=provider.id,
        program_id=provider.program_id,
        held_on=data.held_on,
        panel=[str(p) for p in dict.fromkeys(data.panel)],
        evidence_ids=[str(e) for e in dict.fromkeys(data.evidence_ids)],
        scores=scores,
        recorded_by=actor(principal),
    )
    session.add(record)
    if scores:
        provider.calibration = scores
    await session.flush()
    await reevaluate(session, provider, now=at, policy=policy)
    await session.flush()
    return record


async def calibration_records(
    session: AsyncSession, principal: Principal, provider_id: UUID, page: PageParams
) -> tuple[Sequence[CalibrationRecord], int]:
    await get_provider(session, principal, provider_id)
    return await repository.calibration_records(session, provider_id, page)


async def register_provider(
    session: AsyncSession,
    principal: Principal,
    program_id: UUID,
    data: ProviderCreate,
    *,
    policy: rules.Policy,
) -> Provider:
    require_program_staff(principal)
    program = await program_service.get_program(session, program_id)
    capacity = data.capacity or capacity_limit(program, data.kind)
    _check_capacity(program, data.kind, capacity)
    if await repository.find(session, program_id, data.person_id, data.kind) is not None:
        raise ProviderExists(
            f"Person {data.person_id} is already a {data.kind} in this program.", pointer="#/person_id"
        )
    values: dict[str, Any] = data.model_dump(exclude_none=True, mode="json")
    values.update(person_id=data.person_id, capacity=capacity)
    provider = Provider(program_id=program_id, **values)
    session.add(provider)
    await session.flush()
    await reevaluate(session, provider, now=now(), policy=policy)
    await emit(
        session,
        ProviderRegistered(
            provider_id=provider.id,
            person_id=provider.person_id,
            program_id=program_id,
            kind=data.kind,
            capacity=capacity,
        ),
    )
    return provider


async def get_provider(session: AsyncSession, principal: Principal, provider_id: UUID) -> Provider:
    provider = await repository.get(session, principal, provider_id)
    if provider is None:
        raise ProviderNotFound(f"No provider with id {provider_id}.")
    return provider


async def list_providers(
    session: AsyncSession, principal: Principal, program_id: UUID, page: PageParams
) -> tuple[Sequence[Provider], int]:
    await program_service.get_program(session, program_id)
    return await repository.list_for_program(session, principal, program_id, page)


async def update_provider(
    session: AsyncSession,
    principal: Principal,
    provider_id: UUID,
    data: ProviderUpdate,
    *,
    policy: rules.Policy,
) -> Provider:
    """Profile, credentials and track record; the override of evidence gates is a program manager's."""
    require_program_staff(principal)
    await get_provider(session, principal, provider_id)
    provider = await repository.lock(session, provider_id)
    assert provider is not None
    if data.override is not None:
        _set_override(session, principal, provider, data.override)
    changes: dict[str, Any] = data.model_dump(
        exclude_unset=True, exclude_none=True, exclude={"override"}, mode="json"
    )
    if "capacity" in changes:
        program = await program_service.get_program(session, provider.program_id)
        _check_capacity(program, provider.kind, changes["capacity"])
        if changes["capacity"] < provider.active_load:
            raise CapacityBelowLoad(
                f"The provider carries {provider.active_load} active matches.", pointer="#/capacity"
            )
    capacity_before = provider.capacity
    for key, value in changes.items():
        setattr(provider, key, value)
    at = now()
    await reevaluate(session, provider, now=at, policy=policy)
    await session.flush()
    if provider.capacity != capacity_before:
        await emit(
            session,
            ProviderCapacityChanged(
                provider_id=provider.id,
                person_id=provider.person_id,
                program_id=provider.program_id,
                kind="coach" if provider.kind == "coach" else "mentor",
                capacity=provider.capacity,
                changed_at=at,
            ),
        )
    return provider


async def eligibility(session: AsyncSession, principal: Principal, provider_id: UUID) -> Eligibility:
    provider = await get_provider(session, principal, provider_id)
    panel = [RubricScore(**p) for p in provider.calibration]
    override = provider.eligibility_override
    return Eligibility(
        provider_id=provider.id,
        kind="coach" if provider.kind == "coach" else "mentor",
        eligible=provider.eligible,
        reasons=list(provider.ineligible_reasons),
        calibration_median=calibration_score(panel) if provider.kind == "coach" else None,
        rating_median=float(statistics.median(provider.ratings)) if provider.ratings else None,
        completion_rate=(
            provider.sessions_completed / provider.sessions_scheduled if provider.sessions_scheduled else None
        ),
        gates=[
            EligibilityGate(
                name=g["name"],
                status=g["status"],
                missing=g["reason"],
                evidence=[GateEvidence.model_validate(e) for e in g["evidence"]],
            )
            for g in provider.gates
        ],
        override=EligibilityOverride.model_validate(override) if override else None,
        evaluated_at=provider.eligibility_evaluated_at,
    )
