"""Admin API of the HRIS connectors, under /api/v1/admin/hris (scope `admin`)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, status
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_gateway.connections.service import (
    AuthorizationNotFound,
    AuthorizationRefused,
    ProviderUnavailable,
)
from tandem_gateway.integrations.hris import service
from tandem_gateway.integrations.hris.auth import HrisAdmin
from tandem_gateway.integrations.hris.schemas import (
    Authorization,
    AuthorizationCallback,
    Connector,
    ConnectorCreate,
    ConnectorUpdate,
    SyncRun,
)
from tandem_gateway.integrations.hris.service import ConnectorExists, ConnectorNotFound, SyncRunNotFound
from tandem_gateway.integrations.hris.sync import SyncInProgress
from tandem_gateway.settings import Settings
from tandem_kit.db import SessionDep
from tandem_kit.openapi import problems
from tandem_kit.pagination import Page, PageQuery

router = APIRouter(prefix="/api/v1/admin/hris", tags=["hris"])


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return maker


SettingsDep = Annotated[Settings, Depends(_settings)]
SessionmakerDep = Annotated[async_sessionmaker[AsyncSession], Depends(_sessionmaker)]


@router.post(
    "/connectors",
    response_model=Connector,
    status_code=status.HTTP_201_CREATED,
    responses=problems(ConnectorExists),
)
async def create_connector(
    data: ConnectorCreate, principal: HrisAdmin, session: SessionDep, settings: SettingsDep
) -> Connector:
    """Register an HRIS tenant to pull people from (then authorize it)."""
    return await service.view(session, await service.create_connector(session, settings, data))


@router.get("/connectors", response_model=Page[Connector])
async def list_connectors(principal: HrisAdmin, session: SessionDep, page: PageQuery) -> Page[Connector]:
    """List HRIS connectors, oldest first."""
    return await service.list_connectors(session, page)


@router.get("/connectors/{connector_id}", response_model=Connector, responses=problems(ConnectorNotFound))
async def get_connector(connector_id: UUID, principal: HrisAdmin, session: SessionDep) -> Connector:
    """Get one HRIS connector and the state of its connection."""
    return await service.view(session, await service.get_connector(session, connector_id))


@router.patch("/connectors/{connector_id}", response_model=Connector, responses=problems(ConnectorNotFound))
async def update_connector(
    connector_id: UUID, data: ConnectorUpdate, principal: HrisAdmin, session: SessionDep
) -> Connector:
    """Enable or disable a connector's scheduled syncs."""
    return await service.view(session, await service.update_connector(session, connector_id, data))


@router.post(
    "/connectors/{connector_id}/authorize",
    response_model=Authorization,
    responses=problems(ConnectorNotFound),
)
async def authorize_connector(
    connector_id: UUID, principal: HrisAdmin, session: SessionDep, settings: SettingsDep
) -> Authorization:
    """Start the OAuth authorization: open the answer's URL in the HRIS admin's browser."""
    return Authorization(authorize_url=await service.begin_authorization(session, settings, connector_id))


@router.post(
    "/connectors/{connector_id}/callback",
    response_model=Connector,
    responses=problems(ConnectorNotFound, AuthorizationNotFound, AuthorizationRefused, ProviderUnavailable),
)
async def complete_authorization(
    connector_id: UUID,
    data: AuthorizationCallback,
    principal: HrisAdmin,
    session: SessionDep,
    settings: SettingsDep,
) -> Connector:
    """Complete the authorization with the `code` and `state` the HRIS sent back: the connector's tokens."""
    connector = await service.complete_authorization(
        session, settings, connector_id, state=data.state, code=data.code
    )
    return await service.view(session, connector)


@router.post(
    "/connectors/{connector_id}/sync",
    response_model=SyncRun,
    responses=problems(ConnectorNotFound, SyncInProgress),
)
async def sync_connector(
    connector_id: UUID,
    principal: HrisAdmin,
    sessionmaker: SessionmakerDep,
    settings: SettingsDep,
    full: Annotated[
        bool, Query(description="Ask for everyone, not only what changed since the last run.")
    ] = False,
) -> SyncRun:
    """Sync now and answer the finished run (its failures per record included)."""
    return await service.sync_now(sessionmaker, settings, connector_id, full=full)


@router.get(
    "/connectors/{connector_id}/runs", response_model=Page[SyncRun], responses=problems(ConnectorNotFound)
)
async def list_runs(
    connector_id: UUID, principal: HrisAdmin, session: SessionDep, page: PageQuery
) -> Page[SyncRun]:
    """The connector's sync runs, newest first."""
    runs, total = await service.list_runs(session, connector_id, page)
    return Page[SyncRun](items=runs, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/connectors/{connector_id}/runs/{run_id}", response_model=SyncRun, responses=problems(SyncRunNotFound)
)
async def get_run(connector_id: UUID, run_id: UUID, principal: HrisAdmin, session: SessionDep) -> SyncRun:
    """One sync run with its failures."""
    return await service.get_run(session, connector_id, run_id)
