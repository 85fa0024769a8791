import json
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from tandem_consent import models
from tandem_consent.request import domain
from tandem_consent.request.domain import Kind, Outcome, Status
from tandem_consent.schemas import Key
from tandem_kit.fields import Int4, Text, has_nul

MAX_EXPORT_BYTES = 5_000_000


def _bounded(export: dict[str, Any] | None) -> dict[str, Any] | None:
    if export is not None and len(json.dumps(export)) > MAX_EXPORT_BYTES:
        raise ValueError(f"exports are limited to {MAX_EXPORT_BYTES} bytes of JSON")
    if export is not None and has_nul(export):
        raise ValueError("the export must not contain the NUL character (\\u0000)")
    return export


class DataSubjectRequestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: UUID = Field(description="The person the request is about.")
    kind: Kind = Field(description="`access` (a copy of their data) or `erasure` (delete it).")
    note: Text | None = Field(
        default=None, max_length=2000, description="How the request came in, for the record."
    )


class Receipt(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    service: str = Field(description="The service that answered.")
    outcome: Outcome = Field(description="`completed`, or `nothing_held` when it had no data.")
    records: int = Field(description="Records erased or exported.")
    detail: str | None = Field(description="What was done, in the service's words.")
    submitted_by: str = Field(description="Token subject that sent the receipt.")
    received_at: datetime = Field(description="When the receipt arrived.")


class ReceiptCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: Key = Field(description="The answering service, one of the request's expected services.")
    outcome: Outcome = Field(
        description="`completed`, or `nothing_held` when it had no data about the person."
    )
    records: Int4 = Field(ge=0, description="Records erased or exported.")
    export: Annotated[dict[Text, Any] | None, AfterValidator(_bounded)] = Field(
        default=None, description="For access requests: the person's data this service holds (JSON)."
    )
    detail: Text | None = Field(default=None, max_length=4000, description="What was done.")


class DataSubjectRequest(BaseModel):
    id: UUID = Field(description="Request id (carried by the request events).")
    person_id: UUID = Field(description="The person.")
    kind: Kind = Field(description="`access` or `erasure`.")
    status: Status = Field(description="`open` until every expected service sent its receipt.")
    expected_services: list[str] = Field(description="Services that must answer.")
    missing_services: list[str] = Field(description="Services that have not answered yet.")
    overdue: bool = Field(description="Open past its due date.")
    stalled: bool = Field(
        description="Open a day after the request event last went out: re-dispatch it to the missing services."
    )
    dispatches: int = Field(description="How often the request event went out (opening, then re-dispatches).")
    dispatched_at: datetime = Field(description="When the request event last went out.")
    requested_by: str = Field(description="Token subject that opened the request.")
    note: str | None = Field(description="How the request came in.")
    created_at: datetime = Field(description="When the request was opened.")
    due_at: datetime = Field(description="When the answer is due.")
    completed_at: datetime | None = Field(description="When the last receipt arrived.")
    receipts: list[Receipt] = Field(description="Receipts so far, by service.")

    @classmethod
    def of(cls, request: models.DataSubjectRequest, *, now: datetime) -> "DataSubjectRequest":
        received = [r.service for r in request.receipts]
        return cls(
            id=request.id,
            person_id=request.person_id,
            kind=Kind(request.kind),
            status=Status(request.status),
            expected_services=request.expected_services,
            missing_services=domain.missing(request.expected_services, received),
            overdue=domain.is_overdue(Status(request.status), request.due_at, now),
            stalled=domain.is_stalled(Status(request.status), request.dispatched_at, now),
            dispatches=request.dispatches,
            dispatched_at=request.dispatched_at,
            requested_by=request.requested_by,
            note=request.note,
            created_at=request.created_at,
            due_at=request.due_at,
            completed_at=request.completed_at,
            receipts=[Receipt.model_validate(r) for r in sorted(request.receipts, key=lambda r: r.service)],
        )


class AccessExport(BaseModel):
    request_id: UUID = Field(description="The access request.")
    person_id: UUID = Field(description="The person.")
    complete: bool = Field(description="Whether every expected service has answered.")
    missing_services: list[str] = Field(description="Services that have not answered yet.")
    erased: bool = Field(
        description="An erasure request opened after this access request deleted the exports (`null`)."
    )
    services: dict[str, Any] = Field(
        description="Each answering service's export of the person's data; `null` once erased."
    )
