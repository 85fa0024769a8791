import statistics
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.errors import Conflict, NotFound, Unprocessable
from tandem_kit.events import emit
from tandem_kit.pagination import PageParams
from tandem_matching import eligibility as rules
from tandem_matching.auth import require_program_staff
from tandem_matching.events import ProviderRegistered
from tandem_matching.models import Program, Provider
from tandem_matching.program import service as program_service
from tandem_matching.provider import repository
from tandem_matching.provider.schemas import Eligibility, ProviderCreate, ProviderUpdate
from tandem_matching.provider.schemas import Provider as ProviderRead
from tandem_matching.scoring.domain import RubricScore, calibration_score


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


def capacity_limit(program: Program, kind: str) -> int:
    return program.coach_caseload_limit if kind == "coach" else program.mentor_high_touch_limit


def _check_capacity(program: Program, kind: str, capacity: int) -> None:
    limit = capacity_limit(program, kind)
    if capacity > limit:
        raise CapacityAboveLimit(
            f"A {kind} in this program may carry at most {limit}; got {capacity}.", pointer="#/capacity"
        )


def to_read(provider: Provider) -> ProviderRead:
    decision = rules.eligibility(provider)
    return ProviderRead.model_validate(
        {
            **{k: getattr(provider, k) for k in ProviderRead.model_fields if hasattr(provider, k)},
            "eligible": decision.eligible,
            "ineligible_reasons": list(decision.reasons),
        }
    )


async def register_provider(
    session: AsyncSession, principal: Principal, program_id: UUID, data: ProviderCreate
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
    session: AsyncSession, principal: Principal, provider_id: UUID, data: ProviderUpdate
) -> Provider:
    require_program_staff(principal)
    await get_provider(session, principal, provider_id)
    provider = await repository.lock(session, provider_id)
    assert provider is not None
    changes: dict[str, Any] = data.model_dump(exclude_unset=True, exclude_none=True, mode="json")
    if "capacity" in changes:
        program = await program_service.get_program(session, provider.program_id)
        _check_capacity(program, provider.kind, changes["capacity"])
        if changes["capacity"] < provider.active_load:
            raise CapacityBelowLoad(
                f"The provider carries {provider.active_load} active matches.", pointer="#/capacity"
            )
    for key, value in changes.items():
        setattr(provider, key, value)
    await session.flush()
    return provider


async def eligibility(session: AsyncSession, principal: Principal, provider_id: UUID) -> Eligibility:
    provider = await get_provider(session, principal, provider_id)
    decision = rules.eligibility(provider)
    panel = [RubricScore(**p) for p in provider.calibration]
    return Eligibility(
        provider_id=provider.id,
        kind="coach" if provider.kind == "coach" else "mentor",
        eligible=decision.eligible,
        reasons=list(decision.reasons),
        calibration_median=calibration_score(panel) if provider.kind == "coach" else None,
        rating_median=float(statistics.median(provider.ratings)) if provider.ratings else None,
        completion_rate=(
            provider.sessions_completed / provider.sessions_scheduled if provider.sessions_scheduled else None
        ),
    )
