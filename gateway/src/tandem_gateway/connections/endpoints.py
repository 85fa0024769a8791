"""People's calendar connections: list, connect (authorize URL, then the callback), reconnect,
disconnect; a program manager's view of whether a person's calendar is connected and healthy."""

from uuid import UUID

from fastapi import APIRouter, status

from tandem_gateway.connections import people
from tandem_gateway.connections.auth import CalendarProviders, CalendarsRead, CalendarsWrite
from tandem_gateway.connections.people import PersonRequired, ProviderNotOffered, SupervisorRequired
from tandem_gateway.connections.schemas import (
    CalendarAuthorization,
    CalendarConnection,
    CalendarConnectionCallback,
    CalendarConnectionStart,
    CalendarDisconnection,
    CalendarHealth,
)
from tandem_gateway.connections.service import (
    AuthorizationNotFound,
    AuthorizationRefused,
    ConnectionNotFound,
    ProviderUnavailable,
    ScopesNotGranted,
)
from tandem_kit.db import SessionDep
from tandem_kit.openapi import problems

router = APIRouter(prefix="/api/v1/calendars", tags=["calendar-connections"])


@router.get("/connections", response_model=list[CalendarConnection], responses=problems(PersonRequired))
async def list_connections(principal: CalendarsRead, session: SessionDep) -> list[CalendarConnection]:
    """List the caller's own calendar connections (never their tokens)."""
    return [CalendarConnection.model_validate(c) for c in await people.list_connections(session, principal)]


@router.post(
    "/connections",
    response_model=CalendarAuthorization,
    status_code=status.HTTP_201_CREATED,
    responses=problems(PersonRequired, ProviderNotOffered),
)
async def start_connection(
    data: CalendarConnectionStart,
    principal: CalendarsWrite,
    session: SessionDep,
    providers: CalendarProviders,
) -> CalendarAuthorization:
    """Start connecting a calendar: the provider's authorize URL (PKCE and state kept here)."""
    return await people.start(session, principal, provider=data.provider, providers=providers)


@router.post(
    "/connections/callback",
    response_model=CalendarConnection,
    responses=problems(
        PersonRequired, AuthorizationNotFound, AuthorizationRefused, ScopesNotGranted, ProviderUnavailable
    ),
)
async def complete_connection(
    data: CalendarConnectionCallback,
    principal: CalendarsWrite,
    session: SessionDep,
    providers: CalendarProviders,
) -> CalendarConnection:
    """Complete a connection with the `code` and `state` the provider sent back."""
    connection = await people.complete(
        session, principal, state=data.state, code=data.code, providers=providers
    )
    return CalendarConnection.model_validate(connection)


@router.get(
    "/connections/{connection_id}",
    response_model=CalendarConnection,
    responses=problems(PersonRequired, ConnectionNotFound),
)
async def get_connection(
    connection_id: UUID, principal: CalendarsRead, session: SessionDep
) -> CalendarConnection:
    """Get one of the caller's calendar connections."""
    return CalendarConnection.model_validate(await people.get_connection(session, principal, connection_id))


@router.post(
    "/connections/{connection_id}/reconnect",
    response_model=CalendarAuthorization,
    status_code=status.HTTP_201_CREATED,
    responses=problems(PersonRequired, ConnectionNotFound, ProviderNotOffered),
)
async def reconnect(
    connection_id: UUID, principal: CalendarsWrite, session: SessionDep, providers: CalendarProviders
) -> CalendarAuthorization:
    """Reconnect a broken or disconnected connection: a new authorize URL for its provider."""
    return await people.reconnect(session, principal, connection_id, providers=providers)


@router.delete(
    "/connections/{connection_id}",
    response_model=CalendarDisconnection,
    responses=problems(PersonRequired, ConnectionNotFound),
)
async def disconnect(
    connection_id: UUID, principal: CalendarsWrite, session: SessionDep, providers: CalendarProviders
) -> CalendarDisconnection:
    """Disconnect: revoke the grant at the provider where it can, and forget the tokens."""
    return await people.disconnect(session, principal, connection_id, providers=providers)


@router.get(
    "/people/{person_id}/connection",
    response_model=CalendarHealth,
    responses=problems(SupervisorRequired),
)
async def get_health(person_id: UUID, principal: CalendarsRead, session: SessionDep) -> CalendarHealth:
    """Whether a person's calendar is connected and healthy (nothing else of it)."""
    return await people.health(session, principal, person_id)
