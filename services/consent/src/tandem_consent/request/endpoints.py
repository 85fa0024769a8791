from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from tandem_consent.access import PersonNotFound
from tandem_consent.auth import ConsentAdmin, ConsentRead, ConsentReceipt, ConsentWrite
from tandem_consent.ledger.service import DecisionOutOfOrder, InvalidDecisionTime
from tandem_consent.request import service
from tandem_consent.request.domain import Status
from tandem_consent.request.schemas import (
    AccessExport,
    DataSubjectRequest,
    DataSubjectRequestCreate,
    ReceiptCreate,
)
from tandem_consent.request.service import (
    InvalidReceipt,
    NotAnAccessRequest,
    ReceiptConflict,
    ReceiptFromOtherClient,
    ReceiptFromPerson,
    RequestNotFound,
    UnexpectedService,
)
from tandem_consent.schemas import Page
from tandem_consent.settings import SettingsDep
from tandem_kit.db import SessionDep
from tandem_kit.openapi import problems
from tandem_kit.pagination import PageQuery, page_of

router = APIRouter(prefix="/data-subject-requests", tags=["data-subject-requests"])


@router.post(
    "",
    response_model=DataSubjectRequest,
    status_code=status.HTTP_201_CREATED,
    responses={
        status.HTTP_200_OK: {"description": "A request of this kind was already open; it is returned."},
        **problems(PersonNotFound, DecisionOutOfOrder, InvalidDecisionTime, RequestNotFound),
    },
)
async def open_data_subject_request(
    data: DataSubjectRequestCreate,
    response: Response,
    settings: SettingsDep,
    principal: ConsentWrite,
    session: SessionDep,
) -> DataSubjectRequest:
    """Open an access or erasure request; every service holding personal data answers with a receipt."""
    request, opened = await service.open_request(
        session, principal, data, services=settings.dsr_services, due_days=settings.dsr_due_days
    )
    response.status_code = status.HTTP_201_CREATED if opened else status.HTTP_200_OK
    return DataSubjectRequest.of(request, now=datetime.now(UTC))


@router.get("", response_model=Page[DataSubjectRequest])
async def list_data_subject_requests(
    principal: ConsentRead,
    session: SessionDep,
    page: PageQuery,
    person_id: UUID | None = Query(default=None, description="Only this person's requests."),
    status: Status | None = Query(default=None, description="Only requests in this status."),
    overdue: bool = Query(default=False, description="Only open requests past their due date."),
    stalled: bool = Query(
        default=False, description="Only open requests whose event went out more than a day ago."
    ),
) -> Page[DataSubjectRequest]:
    """List data-subject requests, soonest due first."""
    items, total = await service.list_requests(
        session,
        principal,
        person_id=person_id,
        status=status,
        overdue=overdue,
        stalled=stalled,
        page=page,
    )
    now = datetime.now(UTC)
    return page_of(items, total, page, lambda r: DataSubjectRequest.of(r, now=now))


@router.get("/{request_id}", response_model=DataSubjectRequest, responses=problems(RequestNotFound))
async def get_data_subject_request(
    request_id: UUID, principal: ConsentRead, session: SessionDep
) -> DataSubjectRequest:
    """One request with the receipts received so far."""
    return DataSubjectRequest.of(
        await service.get_request(session, principal, request_id), now=datetime.now(UTC)
    )


@router.post("/{request_id}/redispatch", response_model=DataSubjectRequest)
async def redispatch_data_subject_request(
    request_id: UUID, principal: ConsentAdmin, session: SessionDep
) -> DataSubjectRequest:
    """Send the request again to the services that have not answered (a stalled request)."""
    request = await service.redispatch(session, principal, request_id)
    return DataSubjectRequest.of(request, now=datetime.now(UTC))


@router.post(
    "/{request_id}/receipts",
    response_model=DataSubjectRequest,
    status_code=status.HTTP_201_CREATED,
    responses={
        status.HTTP_200_OK: {"description": "The identical receipt was already on record."},
        **problems(
            InvalidReceipt,
            ReceiptConflict,
            ReceiptFromOtherClient,
            ReceiptFromPerson,
            RequestNotFound,
            UnexpectedService,
        ),
    },
)
async def submit_data_subject_receipt(
    request_id: UUID, data: ReceiptCreate, response: Response, principal: ConsentReceipt, session: SessionDep
) -> DataSubjectRequest:
    """A service reports what it erased or exported for the request (client-credentials tokens only)."""
    request, recorded = await service.submit_receipt(session, principal, request_id, data)
    response.status_code = status.HTTP_201_CREATED if recorded else status.HTTP_200_OK
    return DataSubjectRequest.of(request, now=datetime.now(UTC))


@router.get(
    "/{request_id}/export",
    response_model=AccessExport,
    responses=problems(NotAnAccessRequest, RequestNotFound),
)
async def get_access_export(request_id: UUID, principal: ConsentRead, session: SessionDep) -> AccessExport:
    """The person's data from every service that answered an access request."""
    request, exports = await service.access_export(session, principal, request_id)
    view = DataSubjectRequest.of(request, now=datetime.now(UTC))
    return AccessExport(
        request_id=request.id,
        person_id=request.person_id,
        complete=view.status is Status.COMPLETED,
        missing_services=view.missing_services,
        erased=any(r.outcome == "completed" and r.export is None for r in request.receipts),
        services=exports,
    )
