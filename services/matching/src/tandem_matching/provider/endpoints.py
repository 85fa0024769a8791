from uuid import UUID

from fastapi import APIRouter, status

from tandem_kit.db import SessionDep
from tandem_kit.openapi import problems
from tandem_kit.pagination import Page, PageQuery, page_of
from tandem_matching.auth import MatchingRead, MatchingWrite, ProgramManagerRequired
from tandem_matching.program.service import ProgramNotFound
from tandem_matching.provider import service
from tandem_matching.provider.dependencies import PolicyDep
from tandem_matching.provider.schemas import (
    CalibrationRecord,
    CalibrationRecordCreate,
    Eligibility,
    Provider,
    ProviderCreate,
    ProviderUpdate,
)
from tandem_matching.provider.service import (
    CalibrationForCoachesOnly,
    CapacityAboveLimit,
    CapacityBelowLoad,
    InvalidCalibration,
    ProviderExists,
    ProviderNotFound,
)

router = APIRouter(tags=["providers"])


@router.post(
    "/programs/{program_id}/providers",
    response_model=Provider,
    status_code=status.HTTP_201_CREATED,
    responses=problems(ProgramManagerRequired, ProgramNotFound, CapacityAboveLimit, ProviderExists),
)
async def register_provider(
    program_id: UUID, data: ProviderCreate, principal: MatchingWrite, session: SessionDep, policy: PolicyDep
) -> Provider:
    """Register a coach or mentor in a program (emits ProviderRegistered)."""
    return service.to_read(
        await service.register_provider(session, principal, program_id, data, policy=policy)
    )


@router.get(
    "/programs/{program_id}/providers", response_model=Page[Provider], responses=problems(ProgramNotFound)
)
async def list_providers(
    program_id: UUID, principal: MatchingRead, session: SessionDep, page: PageQuery
) -> Page[Provider]:
    """List a program's coaches and mentors, paged (a person sees only their own rows)."""
    providers, total = await service.list_providers(session, principal, program_id, page)
    return page_of(providers, total, page, service.to_read)


@router.get("/providers/{provider_id}", response_model=Provider, responses=problems(ProviderNotFound))
async def get_provider(provider_id: UUID, principal: MatchingRead, session: SessionDep) -> Provider:
    """Get a coach or mentor."""
    return service.to_read(await service.get_provider(session, principal, provider_id))


@router.patch(
    "/providers/{provider_id}",
    response_model=Provider,
    responses=problems(
        ProgramManagerRequired, ProgramNotFound, CapacityAboveLimit, CapacityBelowLoad, ProviderNotFound
    ),
)
async def update_provider(
    provider_id: UUID, data: ProviderUpdate, principal: MatchingWrite, session: SessionDep, policy: PolicyDep
) -> Provider:
    """Update a provider's profile, credentials, track record or capacity; a manager's gate override."""
    return service.to_read(
        await service.update_provider(session, principal, provider_id, data, policy=policy)
    )


@router.get(
    "/providers/{provider_id}/eligibility", response_model=Eligibility, responses=problems(ProviderNotFound)
)
async def get_eligibility(provider_id: UUID, principal: MatchingRead, session: SessionDep) -> Eligibility:
    """Whether the provider may appear in proposals: each gate, its evidence, what is missing."""
    return await service.eligibility(session, principal, provider_id)


@router.post(
    "/providers/{provider_id}/calibration-records",
    response_model=CalibrationRecord,
    status_code=status.HTTP_201_CREATED,
    responses=problems(
        ProgramManagerRequired, CalibrationForCoachesOnly, InvalidCalibration, ProviderNotFound
    ),
)
async def record_calibration(
    provider_id: UUID,
    data: CalibrationRecordCreate,
    principal: MatchingWrite,
    session: SessionDep,
    policy: PolicyDep,
) -> CalibrationRecord:
    """Record a coach's calibration review (panel, date, LMS evidence): it counts as the calibration review."""
    return CalibrationRecord.model_validate(
        await service.record_calibration(session, principal, provider_id, data, policy=policy)
    )


@router.get(
    "/providers/{provider_id}/calibration-records",
    response_model=Page[CalibrationRecord],
    responses=problems(ProviderNotFound),
)
async def list_calibration_records(
    provider_id: UUID, principal: MatchingRead, session: SessionDep, page: PageQuery
) -> Page[CalibrationRecord]:
    """A coach's calibration records, latest first (paged)."""
    records, total = await service.calibration_records(session, principal, provider_id, page)
    return page_of(records, total, page, CalibrationRecord.model_validate)
