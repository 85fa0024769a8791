"""The data-subject request mutation: a person (or the privacy desk's front end) opens an access or
erasure request through `/graphql` with the same service call, scope and checks as REST."""

from datetime import UTC, datetime
from enum import Enum
from typing import Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from tandem_consent.request import service
from tandem_consent.request.schemas import DataSubjectRequest, DataSubjectRequestCreate
from tandem_consent.settings import Settings
from tandem_kit.graphql import field, graphql_input, mutation_session, require_scope


@strawberry.enum
class RequestKind(Enum):
    ACCESS = "access"
    ERASURE = "erasure"


@strawberry.type(description="An access or erasure request and which services have answered it.")
class DataSubjectRequestState:
    id: strawberry.ID
    person_id: strawberry.ID
    kind: str = strawberry.field(description="access or erasure.")
    status: str = strawberry.field(description="open until every expected service sent its receipt.")
    expected_services: list[str]
    missing_services: list[str]
    overdue: bool
    created_at: datetime
    due_at: datetime
    completed_at: datetime | None
    already_open: bool = strawberry.field(
        description="A request of this kind was already open: it is that one."
    )


def to_graphql(request: DataSubjectRequest, *, already_open: bool) -> DataSubjectRequestState:
    return DataSubjectRequestState(
        id=strawberry.ID(str(request.id)),
        person_id=strawberry.ID(str(request.person_id)),
        kind=request.kind.value,
        status=request.status.value,
        expected_services=list(request.expected_services),
        missing_services=list(request.missing_services),
        overdue=request.overdue,
        created_at=request.created_at,
        due_at=request.due_at,
        completed_at=request.completed_at,
        already_open=already_open,
    )


@strawberry.type
class RequestMutation:
    @field(
        description="Open an access or erasure request (a person for themselves, the privacy desk for anyone); "
        "every service holding personal data answers with a receipt."
    )
    async def open_data_subject_request(
        self, info: Info[Any, Any], person_id: UUID, kind: RequestKind, note: str | None = None
    ) -> DataSubjectRequestState:
        principal = require_scope(info, "consent:write")
        data = graphql_input(
            DataSubjectRequestCreate, "input", {"person_id": person_id, "kind": kind.value, "note": note}
        )
        settings: Settings = info.context["request"].app.state.settings
        async with mutation_session(info) as session:
            request, opened = await service.open_request(
                session, principal, data, services=settings.dsr_services, due_days=settings.dsr_due_days
            )
        return to_graphql(DataSubjectRequest.of(request, now=datetime.now(UTC)), already_open=not opened)
