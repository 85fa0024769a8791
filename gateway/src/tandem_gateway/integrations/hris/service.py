"""HRIS connectors as an admin manages them: create, authorize (the OAuth authorization-code flow of
the connector's external connection), sync on demand, read the runs."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_gateway.connections import service as connections
from tandem_gateway.integrations.hris import repository
from tandem_gateway.integrations.hris.connection import oauth_config, owner_of, seal_client_secret
from tandem_gateway.integrations.hris.schemas import (
    Connector,
    ConnectorCreate,
    ConnectorUpdate,
    SyncFailure,
    SyncRun,
)
from tandem_gateway.integrations.hris.sync import run_sync
from tandem_gateway.models import HrisConnector, HrisSyncRun
from tandem_gateway.settings import Settings
from tandem_kit.errors import Conflict, NotFound
from tandem_kit.pagination import Page, PageParams, fetch_page


class ConnectorNotFound(NotFound):
    code, title = "hris-connector-not-found", "HRIS connector not found"


class ConnectorExists(Conflict):
    code, title = "hris-connector-exists", "An HRIS connector with this name exists"


class SyncRunNotFound(NotFound):
    code, title = "hris-sync-run-not-found", "Sync run not found"


async def views(session: AsyncSession, connectors: Sequence[HrisConnector]) -> list[Connector]:
    """Connectors as shown, each with its connection's status."""
    statuses = await repository.connection_statuses(
        session, [c.connection_id for c in connectors if c.connection_id is not None]
    )
    return [
        Connector.model_validate(c).model_copy(
            update={"connection_status": statuses.get(c.connection_id) if c.connection_id else None}
        )
        for c in connectors
    ]


async def view(session: AsyncSession, connector: HrisConnector) -> Connector:
    return (await views(session, [connector]))[0]


async def create_connector(session: AsyncSession, settings: Settings, data: ConnectorCreate) -> HrisConnector:
    if await repository.get_by_name(session, data.name) is not None:
        raise ConnectorExists(f"an HRIS connector named {data.name!r} exists")
    connector = HrisConnector(
        name=data.name,
        vendor=data.vendor,
        tenant=data.tenant,
        api_base_url=data.api_base_url.rstrip("/"),
        auth_base_url=(data.auth_base_url or data.api_base_url).rstrip("/"),
        client_id=data.client_id,
        client_secret_sealed=seal_client_secret(settings, data.client_secret.get_secret_value()),
        scopes=list(data.scopes),
        level_field=data.level_field,
        enabled=True,
    )
    session.add(connector)
    await session.flush()
    return connector


async def get_connector(session: AsyncSession, connector_id: UUID) -> HrisConnector:
    connector = await repository.get_connector(session, connector_id)
    if connector is None:
        raise ConnectorNotFound(f"no HRIS connector {connector_id}")
    return connector


async def update_connector(session: AsyncSession, connector_id: UUID, data: ConnectorUpdate) -> HrisConnector:
    connector = await get_connector(session, connector_id)
    if data.enabled is not None:
        connector.enabled = data.enabled
    await session.flush()
    return connector


async def list_connectors(session: AsyncSession, page: PageParams) -> Page[Connector]:
    rows, total = await fetch_page(session, repository.connectors_statement(), page)
    return Page[Connector](
        items=await views(session, rows), total=total, limit=page.limit, offset=page.offset
    )


async def begin_authorization(session: AsyncSession, settings: Settings, connector_id: UUID) -> str:
    """The HRIS's authorize URL for this connector (PKCE and a one-use state kept server-side)."""
    connector = await get_connector(session, connector_id)
    return await connections.begin_authorization(
        session, owner_of(connector.id), oauth=oauth_config(settings, connector)
    )


async def complete_authorization(
    session: AsyncSession, settings: Settings, connector_id: UUID, *, state: str, code: str
) -> HrisConnector:
    """The HRIS sent the admin back: trade the code for tokens, kept in the connector's connection."""
    connector = await get_connector(session, connector_id)
    oauth = oauth_config(settings, connector)
    connection = await connections.complete_authorization(
        session, owner_of(connector.id), state=state, code=code, providers={oauth.provider: oauth}
    )
    connector.connection_id = connection.id
    await session.flush()
    return connector


async def sync_now(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, connector_id: UUID, *, full: bool
) -> SyncRun:
    """Run a sync now and answer the finished run."""
    async with sessionmaker() as session:
        await get_connector(session, connector_id)
    run = await run_sync(sessionmaker, settings, connector_id, trigger="manual", full=full)
    async with sessionmaker() as session:
        return (await _views(session, [run]))[0]


async def _views(session: AsyncSession, runs: Sequence[HrisSyncRun]) -> list[SyncRun]:
    failures = await repository.failures_of(session, [r.id for r in runs])
    return [
        SyncRun.model_validate(run).model_copy(
            update={"failures": [SyncFailure.model_validate(f) for f in failures[run.id]]}
        )
        for run in runs
    ]


async def list_runs(session: AsyncSession, connector_id: UUID, page: PageParams) -> tuple[list[SyncRun], int]:
    await get_connector(session, connector_id)
    runs, total = await fetch_page(session, repository.runs_statement(connector_id), page)
    return await _views(session, runs), total


async def get_run(session: AsyncSession, connector_id: UUID, run_id: UUID) -> SyncRun:
    run = await repository.get_run(session, connector_id, run_id)
    if run is None:
        raise SyncRunNotFound(f"no sync run {run_id} of connector {connector_id}")
    return (await _views(session, [run]))[0]
