from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import ColumnElement, Select, delete, func, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_consent.models import (
    ConsentRecord,
    ConsentState,
    DataSubjectRequest,
    RetentionPolicy,
    RetentionRun,
)
from tandem_kit.pagination import PageParams, fetch_page

# One purge at a time across every replica: the lock is held until the run's transaction ends.
PURGE_LOCK = 0x7A3D_C0DE
# Bulk deletes of rows this session never loaded: nothing in the identity map to keep in step.
NO_SYNC = {"synchronize_session": False}


def policies_statement() -> Select[tuple[RetentionPolicy]]:
    return select(RetentionPolicy).order_by(RetentionPolicy.category)


async def list_policies(session: AsyncSession) -> Sequence[RetentionPolicy]:
    return (await session.scalars(policies_statement())).all()


async def get_policy(session: AsyncSession, category: str) -> RetentionPolicy | None:
    statement = policies_statement().where(RetentionPolicy.category == category)
    return (await session.scalars(statement)).one_or_none()


async def list_runs(session: AsyncSession, page: PageParams) -> tuple[Sequence[RetentionRun], int]:
    statement = select(RetentionRun).order_by(RetentionRun.created_at.desc(), RetentionRun.id)
    return await fetch_page(session, statement, page)


async def get_run(session: AsyncSession, run_id: UUID) -> RetentionRun | None:
    return await session.get(RetentionRun, run_id)


async def last_run_at(session: AsyncSession) -> datetime | None:
    statement = select(func.max(RetentionRun.created_at)).where(RetentionRun.dry_run.is_(False))
    return (await session.execute(statement)).scalar_one_or_none()


async def try_purge_lock(session: AsyncSession) -> bool:
    acquired = await session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)").bindparams(key=PURGE_LOCK))
    return bool(acquired)


def _expired_evidence(cutoff: datetime) -> tuple[ColumnElement[bool], ...]:
    # Not granted now, and the last decision (or, never decided, the row itself) is older than the cutoff.
    return (
        ConsentState.granted.is_(False),
        func.coalesce(ConsentState.withdrawn_at, ConsentState.updated_at) < cutoff,
    )


async def purge_consent_evidence(session: AsyncSession, cutoff: datetime, *, dry_run: bool) -> int:
    """Ledger records (and state rows) of purposes not granted since before `cutoff`; the count of records."""
    expired = select(ConsentState.person_id, ConsentState.purpose_id).where(*_expired_evidence(cutoff))
    of_expired = tuple_(ConsentRecord.person_id, ConsentRecord.purpose_id).in_(expired)
    if dry_run:
        return int(
            await session.scalar(select(func.count()).select_from(ConsentRecord).where(of_expired)) or 0
        )
    records = await session.scalars(
        delete(ConsentRecord).where(of_expired).returning(ConsentRecord.id), execution_options=NO_SYNC
    )
    await session.execute(delete(ConsentState).where(*_expired_evidence(cutoff)), execution_options=NO_SYNC)
    return len(records.all())


async def purge_requests(session: AsyncSession, cutoff: datetime, *, dry_run: bool) -> int:
    """Completed data-subject requests (receipts cascade) completed before `cutoff`."""
    done = (DataSubjectRequest.completed_at.is_not(None), DataSubjectRequest.completed_at < cutoff)
    if dry_run:
        return int(
            await session.scalar(select(func.count()).select_from(DataSubjectRequest).where(*done)) or 0
        )
    deleted = await session.scalars(
        delete(DataSubjectRequest).where(*done).returning(DataSubjectRequest.id), execution_options=NO_SYNC
    )
    return len(deleted.all())
