from collections.abc import Sequence
from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import Select, exists, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from tandem_consent.access import readable_by
from tandem_consent.models import DataSubjectReceipt, DataSubjectRequest
from tandem_consent.request.domain import STALLED_AFTER, Kind, Status
from tandem_kit.auth import Principal
from tandem_kit.pagination import PageParams, fetch_page


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
    page: PageParams,
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
    return await fetch_page(
        session, statement.order_by(DataSubjectRequest.due_at, DataSubjectRequest.id), page
    )


async def prior_requests(
    session: AsyncSession, person_id: UUID, *, before: UUID
) -> Sequence[DataSubjectRequest]:
    statement = (
        select(DataSubjectRequest)
        .where(DataSubjectRequest.person_id == person_id, DataSubjectRequest.id != before)
        .order_by(DataSubjectRequest.created_at)
    )
    return (await session.scalars(statement)).all()


async def drop_exports(session: AsyncSession, person_id: UUID) -> int:
    """Empty the stored exports of every access request about the person; how many there were."""
    access_requests = select(DataSubjectRequest.id).where(
        DataSubjectRequest.person_id == person_id, DataSubjectRequest.kind == Kind.ACCESS.value
    )
    result = await session.scalars(
        update(DataSubjectReceipt)
        .where(DataSubjectReceipt.request_id.in_(access_requests), DataSubjectReceipt.export.is_not(None))
        .values(export=None)
        .returning(DataSubjectReceipt.id),
        execution_options={"synchronize_session": False},
    )
    return len(result.all())


async def erased_since(session: AsyncSession, person_id: UUID, opened_at: datetime) -> bool:
    """Whether an erasure request about the person was opened at or after `opened_at`."""
    statement = select(
        exists().where(
            DataSubjectRequest.person_id == person_id,
            DataSubjectRequest.kind == Kind.ERASURE.value,
            DataSubjectRequest.created_at >= opened_at,
        )
    )
    return bool(await session.scalar(statement))


async def scrub_requests_of(session: AsyncSession, person_id: UUID, *, requester: str) -> None:
    """Drop the operator notes of the person's requests, and put `requester` in place of a requester
    subject that names the person (a request the person opened with their own token)."""
    await session.execute(
        update(DataSubjectRequest)
        .where(DataSubjectRequest.person_id == person_id, DataSubjectRequest.note.is_not(None))
        .values(note=None),
        execution_options={"synchronize_session": "fetch"},
    )
    await session.execute(
        update(DataSubjectRequest)
        .where(
            DataSubjectRequest.person_id == person_id,
            DataSubjectRequest.requested_by.contains(str(person_id)),
        )
        .values(requested_by=requester),
        execution_options={"synchronize_session": "fetch"},
    )
