"""SQL of the HRIS connectors: connectors, cursors, runs and their failures, the per-connector lock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import Select, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_gateway.models import (
    ExternalConnection,
    HrisConnector,
    HrisSyncCursor,
    HrisSyncFailure,
    HrisSyncRun,
)


async def get_connector(session: AsyncSession, connector_id: UUID) -> HrisConnector | None:
    return await session.get(HrisConnector, connector_id)


async def get_by_name(session: AsyncSession, name: str) -> HrisConnector | None:
    return (await session.scalars(select(HrisConnector).where(HrisConnector.name == name))).one_or_none()


def connectors_statement() -> Select[tuple[HrisConnector]]:
    return select(HrisConnector).order_by(HrisConnector.created_at, HrisConnector.id)


async def connection_statuses(session: AsyncSession, connection_ids: Sequence[UUID]) -> dict[UUID, str]:
    """The status of each of these external connections, in one query."""
    if not connection_ids:
        return {}
    statement = select(ExternalConnection.id, ExternalConnection.status).where(
        ExternalConnection.id.in_(connection_ids)
    )
    return {row.id: row.status for row in (await session.execute(statement)).all()}


async def scheduled_connectors(session: AsyncSession) -> Sequence[HrisConnector]:
    statement = connectors_statement().where(HrisConnector.enabled, HrisConnector.connection_id.is_not(None))
    return (await session.scalars(statement)).all()


async def get_cursor(session: AsyncSession, connector_id: UUID) -> datetime | None:
    found: datetime | None = await session.scalar(
        select(HrisSyncCursor.changed_since).where(HrisSyncCursor.connector_id == connector_id)
    )
    return found


async def set_cursor(session: AsyncSession, connector_id: UUID, changed_since: datetime) -> None:
    statement = insert(HrisSyncCursor).values(connector_id=connector_id, changed_since=changed_since)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[HrisSyncCursor.connector_id],
            set_={"changed_since": changed_since, "updated_at": func.now()},
        )
    )


async def last_started(session: AsyncSession, connector_id: UUID) -> datetime | None:
    found: datetime | None = await session.scalar(
        select(func.max(HrisSyncRun.started_at)).where(HrisSyncRun.connector_id == connector_id)
    )
    return found


async def end_interrupted(session: AsyncSession, connector_id: UUID, now: datetime) -> None:
    """Runs still `running` while the caller holds the connector's lock were cut off (a restart)."""
    await session.execute(
        update(HrisSyncRun)
        .where(HrisSyncRun.connector_id == connector_id, HrisSyncRun.status == "running")
        .values(status="failed", error="interrupted", finished_at=now)
    )


def runs_statement(connector_id: UUID) -> Select[tuple[HrisSyncRun]]:
    return (
        select(HrisSyncRun)
        .where(HrisSyncRun.connector_id == connector_id)
        .order_by(HrisSyncRun.started_at.desc(), HrisSyncRun.id)
    )


async def get_run(session: AsyncSession, connector_id: UUID, run_id: UUID) -> HrisSyncRun | None:
    statement = select(HrisSyncRun).where(HrisSyncRun.id == run_id, HrisSyncRun.connector_id == connector_id)
    return (await session.scalars(statement)).one_or_none()


async def failures_of(session: AsyncSession, run_ids: Sequence[UUID]) -> dict[UUID, list[HrisSyncFailure]]:
    found: dict[UUID, list[HrisSyncFailure]] = {run_id: [] for run_id in run_ids}
    if not run_ids:
        return found
    statement = (
        select(HrisSyncFailure)
        .where(HrisSyncFailure.run_id.in_(run_ids))
        .order_by(HrisSyncFailure.external_id, HrisSyncFailure.id)
    )
    for failure in await session.scalars(statement):
        found[failure.run_id].append(failure)
    return found


def lock_key(connector_id: UUID) -> int:
    """The advisory-lock key of one connector: its id's first 8 bytes as a signed bigint."""
    return int.from_bytes(connector_id.bytes[:8], "big", signed=True)


async def try_lock(session: AsyncSession, connector_id: UUID) -> bool:
    """Take the connector's session-level advisory lock on this session's connection, if free: one
    sync per connector at a time, across gateway replicas."""
    got = await session.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": lock_key(connector_id)})
    return bool(got)


async def unlock(session: AsyncSession, connector_id: UUID) -> None:
    await session.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": lock_key(connector_id)})
