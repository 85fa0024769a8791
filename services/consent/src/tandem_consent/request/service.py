from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_consent.access import require_visible
from tandem_consent.events import DataSubjectRequestCompleted, DataSubjectRequestOpened
from tandem_consent.ledger import service as ledger
from tandem_consent.ledger.domain import Method
from tandem_consent.models import DataSubjectReceipt, DataSubjectRequest
from tandem_consent.request import domain, repository
from tandem_consent.request.domain import Kind, Outcome, Status
from tandem_consent.request.schemas import DataSubjectRequestCreate, ReceiptCreate
from tandem_kit.auth import Principal
from tandem_kit.errors import Conflict, Forbidden, NotFound, Unprocessable
from tandem_kit.events import emit, subject_for
from tandem_kit.pagination import PageParams
from tandem_kit.privacy import delete_sent_events

SERVICE = "consent"
# Stands in for a requester subject that named the person (they opened the request themselves).
ERASED_REQUESTER = "data-subject"
REQUEST_SUBJECTS = [
    subject_for(SERVICE, event.event_type())
    for event in (DataSubjectRequestOpened, DataSubjectRequestCompleted)
]


class RequestNotFound(NotFound):
    code, title = "data-subject-request-not-found", "Data-subject request not found"


class ReceiptFromPerson(Forbidden):
    code, title = "receipt-from-person", "Receipts come from services"


class ReceiptFromOtherClient(Forbidden):
    code, title = "receipt-from-other-client", "Receipts come from the service they speak for"


class UnexpectedService(Unprocessable):
    """The receipt's service is not one the request expects an answer from."""

    code, title = "unexpected-service", "Service not expected to answer"


class InvalidReceipt(Unprocessable):
    """The receipt does not fit the request's kind: an erasure reports records erased, an access
    request carries the export."""

    code, title = "invalid-receipt", "Receipt does not fit the request"


class ReceiptConflict(Conflict):
    code, title = "receipt-conflict", "A different receipt is on record"


class NotAnAccessRequest(Conflict):
    code, title = "not-an-access-request", "Only access requests have an export"


class RequestNotOpen(Conflict):
    code, title = "data-subject-request-not-open", "The request is already completed"


async def open_request(
    session: AsyncSession,
    principal: Principal,
    data: DataSubjectRequestCreate,
    *,
    services: Sequence[str],
    due_days: int,
) -> tuple[DataSubjectRequest, bool]:
    """Open a request and do this service's part at once; `False` when the same kind is already open."""
    require_visible(principal, data.person_id, pointer="#/person_id")
    now = datetime.now(UTC)
    expected = list(dict.fromkeys(services))
    request_id = await repository.insert_open(
        session,
        person_id=data.person_id,
        kind=data.kind,
        services=expected,
        requested_by=principal.subject,
        note=data.note,
        created_at=now,
        due_at=domain.due_at(now, due_days),
    )
    if request_id is None:
        existing = await repository.open_of(session, principal, data.person_id, data.kind)
        assert existing is not None
        return existing, False
    request = await _get(session, principal, request_id, lock=True)
    await emit(
        session,
        DataSubjectRequestOpened(
            request_id=request.id,
            person_id=request.person_id,
            kind=request.kind,
            due_at=request.due_at,
            services=expected,
        ),
    )
    if SERVICE in expected:
        await _answer_here(session, principal, request)
    return request, True


async def _answer_here(session: AsyncSession, principal: Principal, request: DataSubjectRequest) -> None:
    """This service's own receipt: the person's consent data exported, or their consents withdrawn and
    the ledger's capture details scrubbed (the decisions stay as proof, under the retention policy)."""
    if request.kind == Kind.ACCESS:
        export = await ledger.export_person(session, principal, request.person_id)
        prior = await repository.prior_requests(session, request.person_id, before=request.id)
        export["requests"] = [
            {"id": str(r.id), "kind": r.kind, "status": r.status, "created_at": r.created_at.isoformat()}
            for r in prior
        ]
        records = len(export["records"]) + len(export["consents"]) + len(prior)
        receipt = ReceiptCreate(
            service=SERVICE,
            outcome=Outcome.COMPLETED if records else Outcome.NOTHING_HELD,
            records=records,
            export=export if records else None,
            detail="Consent standings, the consent ledger and earlier requests.",
        )
        await _record_receipt(session, principal, request, receipt)
        return
    withdrawn = await ledger.withdraw_everything(
        session,
        principal,
        request.person_id,
        method=Method.ERASURE_REQUEST,
        reason=f"Erasure request {request.id}",
    )
    scrubbed = await ledger.erase_evidence(session, request.person_id)
    # Earlier access requests stored every service's copy of the person's data: it goes now.
    exports = await repository.drop_exports(session, request.person_id)
    records = scrubbed + exports
    receipt = ReceiptCreate(
        service=SERVICE,
        outcome=Outcome.COMPLETED if records else Outcome.NOTHING_HELD,
        records=records,
        detail=(
            f"Withdrew {len(withdrawn)} consent(s); removed capture details from {scrubbed} ledger "
            f"record(s); deleted {exports} stored access export(s)."
        ),
    )
    await _record_receipt(session, principal, request, receipt)


async def submit_receipt(
    session: AsyncSession, principal: Principal, request_id: UUID, data: ReceiptCreate
) -> tuple[DataSubjectRequest, bool]:
    """Record a service's receipt; `False` when the identical receipt was already on record."""
    if principal.person_id is not None:
        raise ReceiptFromPerson("Receipts are sent by services with a client-credentials token.")
    if principal.client_name != data.service:
        # Every service's client holds consent:receipt; only the service's own client speaks for it.
        raise ReceiptFromOtherClient(
            f"Only the {data.service!r} client may send its receipt (this token is for "
            f"{principal.client_name or 'an unnamed client'!r}).",
            pointer="#/service",
        )
    request = await _get(session, principal, request_id, lock=True)
    if data.service not in request.expected_services:
        raise UnexpectedService(
            f"{data.service!r} is not expected to answer this request ({', '.join(request.expected_services)}).",
            pointer="#/service",
        )
    problem = domain.receipt_problem(Kind(request.kind), data.outcome, data.records, data.export)
    if problem is not None:
        raise InvalidReceipt(f"{problem.detail}.", pointer=problem.pointer)
    existing = next((r for r in request.receipts if r.service == data.service), None)
    if existing is not None:
        same = (existing.outcome, existing.records, existing.export, existing.detail) == (
            data.outcome.value,
            data.records,
            data.export,
            data.detail,
        )
        if not same:
            raise ReceiptConflict(f"{data.service!r} already sent a different receipt.", pointer="#/service")
        return request, False
    await _record_receipt(session, principal, request, data)
    return request, True


async def _record_receipt(
    session: AsyncSession, principal: Principal, request: DataSubjectRequest, data: ReceiptCreate
) -> None:
    export = data.export
    if export is not None and await repository.erased_since(session, request.person_id, request.created_at):
        # An erasure opened after this access request: a late export is a copy the erasure missed.
        export = None
    # Onto the locked request's loaded receipts, so the answer needs no second read.
    request.receipts.append(
        DataSubjectReceipt(
            request_id=request.id,
            service=data.service,
            outcome=data.outcome.value,
            records=data.records,
            export=export,
            detail=data.detail,
            submitted_by=principal.subject,
        )
    )
    received = [r.service for r in request.receipts]
    if domain.status_after(request.expected_services, received) is Status.COMPLETED:
        completed_at = datetime.now(UTC)
        request.status, request.completed_at = Status.COMPLETED.value, completed_at
        if request.kind == Kind.ERASURE:
            await _forget_requester_details(session, request.person_id)
        event = DataSubjectRequestCompleted(
            request_id=request.id, person_id=request.person_id, kind=request.kind, completed_at=completed_at
        )
        await emit(session, event)
    await session.flush()


async def _forget_requester_details(session: AsyncSession, person_id: UUID) -> None:
    """Every service has erased: the operators' notes on the person's requests (names, e-mail
    addresses) and consent's sent consent events naming them go. The requests and their events stay:
    they are the proof of the erasure, and carry nothing the requests do not."""
    await session.flush()
    await repository.scrub_requests_of(session, person_id, requester=ERASED_REQUESTER)
    await delete_sent_events(session, person_id, sparing=REQUEST_SUBJECTS)


async def _get(
    session: AsyncSession, principal: Principal, request_id: UUID, *, lock: bool = False
) -> DataSubjectRequest:
    request = await repository.get(session, principal, request_id, lock=lock)
    if request is None:
        raise RequestNotFound(f"No data-subject request {request_id}.")
    return request


async def get_request(session: AsyncSession, principal: Principal, request_id: UUID) -> DataSubjectRequest:
    return await _get(session, principal, request_id)


async def list_requests(
    session: AsyncSession,
    principal: Principal,
    *,
    person_id: UUID | None,
    status: Status | None,
    overdue: bool,
    stalled: bool,
    page: PageParams,
) -> tuple[Sequence[DataSubjectRequest], int]:
    return await repository.page(
        session,
        principal,
        person_id=person_id,
        status=status,
        overdue=overdue,
        stalled=stalled,
        page=page,
    )


async def redispatch(session: AsyncSession, principal: Principal, request_id: UUID) -> DataSubjectRequest:
    """Send the request event again, as a new event, to the services that have not answered.

    Safe to repeat: each service's part is idempotent (an identical receipt is accepted as a repeat),
    and the services that answered are not listed.
    """
    request = await _get(session, principal, request_id, lock=True)
    if request.status != Status.OPEN:
        raise RequestNotOpen("Every expected service has answered this request.")
    missing = domain.missing(request.expected_services, [r.service for r in request.receipts])
    await emit(
        session,
        DataSubjectRequestOpened(
            request_id=request.id,
            person_id=request.person_id,
            kind=request.kind,
            due_at=request.due_at,
            services=missing,
        ),
    )
    request.dispatched_at, request.dispatches = datetime.now(UTC), request.dispatches + 1
    await session.flush()
    return await _get(session, principal, request_id)


async def access_export(
    session: AsyncSession, principal: Principal, request_id: UUID
) -> tuple[DataSubjectRequest, dict[str, Any]]:
    """The access request and each answering service's export (complete once every service answered);
    an erasure opened after the access request emptied the exports."""
    request = await _get(session, principal, request_id)
    if request.kind != Kind.ACCESS:
        raise NotAnAccessRequest("Erasure requests carry no data back; see their receipts.")
    return request, {r.service: r.export for r in request.receipts}
