"""Calendar connections in GraphQL (the gateway's own subgraph): the same calls, scopes and checks as
`connections/endpoints.py`, plus `Person.calendar` (connected and healthy, nothing else) for a program
manager's view of a person."""

from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from tandem_gateway.connections import people
from tandem_gateway.connections.domain import OAuthProviderConfig
from tandem_gateway.connections.schemas import CalendarConnection as ConnectionOut
from tandem_gateway.connections.schemas import CalendarConnectionCallback
from tandem_kit.errors import NotFound
from tandem_kit.graphql import exclusive_session, field, graphql_input, parse_id, require_scope


@strawberry.enum(description="A calendar provider.")
class CalendarProvider(Enum):
    GOOGLE = "google"
    MICROSOFT = "microsoft"


@strawberry.type(description="A person's calendar connection; its tokens never leave the gateway.")
class CalendarConnection:
    id: strawberry.ID
    provider: str = strawberry.field(description="`google` or `microsoft`.")
    status: str = strawberry.field(description="`active`, `needs_reauth` (connect again) or `disconnected`.")
    scopes: list[str] = strawberry.field(description="The scopes the provider granted.")
    connected_at: datetime
    refreshed_at: datetime | None
    broken_at: datetime | None
    broken_reason: str | None = strawberry.field(description="`invalid_grant` or `disconnected`.")


@strawberry.type(description="Where to send the person's browser to connect a calendar.")
class CalendarAuthorization:
    authorize_url: str
    expires_at: datetime


@strawberry.type(description="A disconnected calendar and whether the provider confirmed the revocation.")
class CalendarDisconnection:
    connection: CalendarConnection
    revoked_at_provider: bool


@strawberry.type(description="Whether a person's calendar is connected and healthy (nothing else of it).")
class CalendarHealth:
    connected: bool
    healthy: bool


@strawberry.federation.type(keys=["id"])
class Person:
    id: strawberry.ID

    @field(
        description="Whether the person's calendar is connected and readable: the person or a program manager."
    )
    async def calendar(self, info: Info[Any, Any]) -> CalendarHealth | None:
        principal = require_scope(info, "calendars:read")
        person_id = parse_id(self.id)
        if person_id is None:
            return None
        if not (principal.sees_everything or principal.person_uuid == person_id):
            return None  # someone else's: as if there were nothing to see
        async with exclusive_session(info) as session:
            health = await people.health(session, principal, person_id)
        return CalendarHealth(connected=health.connected, healthy=health.healthy)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> "Person":
        return cls(id=id)


def to_graphql(connection: Any) -> CalendarConnection:
    c = ConnectionOut.model_validate(connection)
    return CalendarConnection(
        id=strawberry.ID(str(c.id)),
        provider=c.provider,
        status=c.status,
        scopes=c.scopes,
        connected_at=c.connected_at,
        refreshed_at=c.refreshed_at,
        broken_at=c.broken_at,
        broken_reason=c.broken_reason,
    )


def _providers(info: Info[Any, Any]) -> dict[str, OAuthProviderConfig]:
    providers: dict[str, OAuthProviderConfig] = info.context["request"].app.state.calendar_providers
    return providers


def _connection_id(value: strawberry.ID) -> UUID:
    connection_id = parse_id(value)
    if connection_id is None:
        raise NotFound("No such connection of yours.")
    return connection_id


@strawberry.type
class ConnectionsQuery:
    @field(description="The caller's own calendar connections (a person's token; at most one per provider).")
    async def calendar_connections(self, info: Info[Any, Any]) -> list[CalendarConnection]:
        principal = require_scope(info, "calendars:read")
        async with exclusive_session(info) as session:
            return [to_graphql(c) for c in await people.list_connections(session, principal)]

    @field(description="One of the caller's calendar connections.")
    async def calendar_connection(self, info: Info[Any, Any], id: strawberry.ID) -> CalendarConnection:
        principal = require_scope(info, "calendars:read")
        async with exclusive_session(info) as session:
            return to_graphql(await people.get_connection(session, principal, _connection_id(id)))


@strawberry.type
class ConnectionsMutation:
    @field(
        description="Start connecting a calendar: the provider's authorize URL (PKCE and state kept here)."
    )
    async def connect_calendar(
        self, info: Info[Any, Any], provider: CalendarProvider
    ) -> CalendarAuthorization:
        principal = require_scope(info, "calendars:write")
        async with exclusive_session(info) as session:
            answer = await people.start(
                session, principal, provider=provider.value, providers=_providers(info)
            )
        return CalendarAuthorization(authorize_url=answer.authorize_url, expires_at=answer.expires_at)

    @field(description="Complete a connection with the `code` and `state` the provider sent back.")
    async def complete_calendar_connection(
        self, info: Info[Any, Any], state: str, code: str
    ) -> CalendarConnection:
        principal = require_scope(info, "calendars:write")
        data = graphql_input(CalendarConnectionCallback, "input", {"state": state, "code": code})
        async with exclusive_session(info) as session:
            connection = await people.complete(
                session, principal, state=data.state, code=data.code, providers=_providers(info)
            )
            return to_graphql(connection)

    @field(description="Reconnect a broken or disconnected connection: a new authorize URL for its provider.")
    async def reconnect_calendar(self, info: Info[Any, Any], id: strawberry.ID) -> CalendarAuthorization:
        principal = require_scope(info, "calendars:write")
        async with exclusive_session(info) as session:
            answer = await people.reconnect(
                session, principal, _connection_id(id), providers=_providers(info)
            )
        return CalendarAuthorization(authorize_url=answer.authorize_url, expires_at=answer.expires_at)

    @field(description="Disconnect: revoke the grant at the provider where it can, and forget the tokens.")
    async def disconnect_calendar(self, info: Info[Any, Any], id: strawberry.ID) -> CalendarDisconnection:
        principal = require_scope(info, "calendars:write")
        async with exclusive_session(info) as session:
            answer = await people.disconnect(
                session, principal, _connection_id(id), providers=_providers(info)
            )
        return CalendarDisconnection(
            connection=to_graphql(answer.connection),
            revoked_at_provider=answer.revoked_at_provider,
        )
