from collections.abc import Sequence
from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import Select, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from tandem_consent.access import readable_by
from tandem_consent.models import DataSubjectRequest
from tandem_consent.request.domain import STALLED_AFTER, Kind, Status
from tandem_kit.auth import Principal


def readable_requests(principal: Principal) -> Select[tuple[DataSubjectRequest]]:
    return (
        select(DataSubjectRequest)
        .options(selectinload(DataSubjectRequest.receipts))
        .where(readable_by(principal, DataSubjectRequest.person_id))
    )


async def get(
    session: AsyncSession, principal: Principal, request_id: UUID, *, lock: bool = False
) -> DataSubjectRequest | None:
    statement = readable_requests(principal).where(DataSubjectRequest.id == request_id)
    if lock:
        statement = statement.with_for_update(of=DataSubjectRequest)
    return (await session.scalars(statement.execution_options(populate_existing=True))).one_or_none()


async def insert_open(
    session: AsyncSession,
    *,
    person_id: UUID,
    kind: Kind,
    services: Sequence[str],
    requested_by: str,
    note: str | None,
    created_at: datetime,
    due_at: datetime,
) -> UUID | None:
    """A new open request's id, or None when the person already has an open request of this kind."""
    statement = (
        insert(DataSubjectRequest)
        .values(
            id=uuid4(),
            person_id=person_id,
            kind=kind.value,
            status=Status.OPEN.value,
            expected_services=list(services),
            requested_by=requested_by,
            note=note,
            created_at=created_at,
            due_at=due_at,
        )
        .on_conflict_do_nothing(
            index_elements=[DataSubjectRequest.person_id, DataSubjectRequest.kind],
            index_where=text("status = 'open'"),
        )
        .returning(DataSubjectRequest.id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def open_of(
    session: AsyncSession, principal: Principal, person_id: UUID, kind: Kind
) -> DataSubjectRequest | None:
    statement = readable_requests(principal).where(
        DataSubjectRequest.person_id == person_id,
        DataSubjectRequest.kind == kind.value,
        DataSubjectRequest.status == Status.OPEN.value,
    )
    return (await session.scalars(statement)).one_or_none()


async def page(
    session: AsyncSession,
    principal: Principal,
    *,
    person_id: UUID | None,
    status: Status | None,
    overdue: bool,
    stalled: bool,
    limit: int,
    offset: int,
) -> tuple[Sequence[DataSubjectRequest], int]:
    statement = readable_requests(principal)
    if person_id is not None:
        statement = statement.where(DataSubjectRequest.person_id == person_id)
    if status is not None:
        statement = statement.where(DataSubjectRequest.status == status.value)
    if overdue:
        statement = statement.where(
            DataSubjectRequest.status == Status.OPEN.value, DataSubjectRequest.due_at < func.now()
        )
    if stalled:
        statement = statement.where(
            DataSubjectRequest.status == Status.OPEN.value,
            DataSubjectRequest.dispatched_at < func.now() - STALLED_AFTER,
        )
    total = await session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    ordered = statement.order_by(DataSubjectRequest.due_at, DataSubjectRequest.id).limit(limit).offset(offset)
    return (await session.scalars(ordered)).all(), int(total or 0)


async def prior_requests(
    session: AsyncSession, person_id: UUID, *, before: UUID
) -> Sequence[DataSubjectRequest]:
    statement = (
        select(DataSubjectRequest)
        .where(DataSubjectRequest.person_id == person_id, DataSubjectRequest.id != before)
        .order_by(DataSubjectRequest.created_at)
    )
    return (await session.scalars(statement)).all()
