from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from tandem_consent.access import PersonNotFound
from tandem_consent.auth import ConsentRead, ConsentWrite
from tandem_consent.ledger import service
from tandem_consent.ledger.schemas import (
    CheckRequest,
    CheckResponse,
    ConsentGrant,
    ConsentRecord,
    ConsentState,
    ConsentWithdrawal,
)
from tandem_consent.ledger.service import (
    DecisionOutOfOrder,
    FieldNotInNotice,
    GrantOnBehalfForbidden,
    InvalidDecisionTime,
    NoticeOutdated,
    NoticeVersionUnknown,
    UnknownPurpose,
)
from tandem_consent.purpose.service import PurposeNotFound
from tandem_consent.schemas import Page
from tandem_kit.db import SessionDep
from tandem_kit.fields import Text
from tandem_kit.openapi import problems
from tandem_kit.pagination import PageQuery, page_of

router = APIRouter(tags=["consents"])


@router.get(
    "/people/{person_id}/consents", response_model=list[ConsentState], responses=problems(PersonNotFound)
)
async def list_consents(person_id: UUID, principal: ConsentRead, session: SessionDep) -> list[ConsentState]:
    """A person's standing for every purpose."""
    return [ConsentState.of(c) for c in await service.person_consents(session, principal, person_id)]


@router.get(
    "/people/{person_id}/consents/{purpose}",
    response_model=ConsentState,
    responses=problems(PersonNotFound, PurposeNotFound),
)
async def get_consent(
    person_id: UUID, purpose: Text, principal: ConsentRead, session: SessionDep
) -> ConsentState:
    """A person's standing for one purpose."""
    return ConsentState.of(await service.person_consent(session, principal, person_id, purpose))


@router.post(
    "/people/{person_id}/consents/{purpose}/grants",
    response_model=ConsentState,
    responses={
        status.HTTP_200_OK: {"description": "The same grant was already on record; nothing was added."},
        **problems(
            PersonNotFound,
            DecisionOutOfOrder,
            FieldNotInNotice,
            GrantOnBehalfForbidden,
            InvalidDecisionTime,
            NoticeOutdated,
            NoticeVersionUnknown,
            PurposeNotFound,
        ),
    },
    status_code=status.HTTP_201_CREATED,
)
async def grant_consent(
    person_id: UUID,
    purpose: Text,
    data: ConsentGrant,
    response: Response,
    principal: ConsentWrite,
    session: SessionDep,
) -> ConsentState:
    """Record that the person granted the purpose, for the notice version they were shown."""
    standing, recorded = await service.grant(session, principal, person_id, purpose, data)
    response.status_code = status.HTTP_201_CREATED if recorded else status.HTTP_200_OK
    return ConsentState.of(standing)


@router.post(
    "/people/{person_id}/consents/{purpose}/withdrawals",
    response_model=ConsentState,
    responses={
        status.HTTP_200_OK: {"description": "The purpose was not granted; nothing was added."},
        **problems(
            PersonNotFound, DecisionOutOfOrder, GrantOnBehalfForbidden, InvalidDecisionTime, PurposeNotFound
        ),
    },
    status_code=status.HTTP_201_CREATED,
)
async def withdraw_consent(
    person_id: UUID,
    purpose: Text,
    data: ConsentWithdrawal,
    response: Response,
    principal: ConsentWrite,
    session: SessionDep,
) -> ConsentState:
    """Record that the person withdrew the purpose; it stops using their data from now on."""
    standing, recorded = await service.withdraw(session, principal, person_id, purpose, data)
    response.status_code = status.HTTP_201_CREATED if recorded else status.HTTP_200_OK
    return ConsentState.of(standing)


@router.get(
    "/people/{person_id}/consent-records",
    response_model=Page[ConsentRecord],
    responses=problems(PersonNotFound, PurposeNotFound),
)
async def list_consent_records(
    person_id: UUID,
    principal: ConsentRead,
    session: SessionDep,
    page: PageQuery,
    purpose: Text | None = Query(default=None, description="Only this purpose."),
) -> Page[ConsentRecord]:
    """The person's consent ledger: every grant and withdrawal with its evidence, oldest first."""
    items, total = await service.records(session, principal, person_id, purpose=purpose, page=page)
    return page_of(items, total, page, ConsentRecord.model_validate)


@router.post("/checks", response_model=CheckResponse, responses=problems(PersonNotFound, UnknownPurpose))
async def check_consents(data: CheckRequest, principal: ConsentRead, session: SessionDep) -> CheckResponse:
    """Which of these people let the purpose use their data, and which fields it may use."""
    return CheckResponse(results=await service.check(session, principal, data))
