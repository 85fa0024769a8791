"""The use cases behind the REST routes: a person manages their own calendar connections; a program
manager (or a machine client) only learns whether someone's calendar is connected and healthy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_gateway.connections import repository, service
from tandem_gateway.connections.domain import (
    AUTHORIZATION_TTL,
    CALENDAR_PROVIDERS,
    ConnectionStatus,
    OAuthProviderConfig,
    Owner,
)
from tandem_gateway.connections.schemas import (
    CalendarAuthorization,
    CalendarConnection,
    CalendarDisconnection,
    CalendarHealth,
)
from tandem_gateway.models import ExternalConnection
from tandem_kit.auth import Principal
from tandem_kit.errors import Forbidden, Unprocessable


class PersonRequired(Forbidden):
    """Calendar connections are a person's own: the token must act for a person."""

    code, title = "person-required", "A person's token is required"


class SupervisorRequired(Forbidden):
    """Someone else's calendar health: a program manager, an admin or a machine client only."""

    code, title = "supervisor-required", "Program manager required"


class ProviderNotOffered(Unprocessable):
    """The provider has no app registration configured in this deployment."""

    code, title = "provider-not-offered", "Calendar provider not offered"


def _owner(principal: Principal) -> Owner:
    person = principal.person_uuid
    if person is None:
        raise PersonRequired("Calendar connections belong to a person; use a person's token.")
    return Owner(person_id=person)


def _calendar_providers(providers: Mapping[str, OAuthProviderConfig]) -> dict[str, OAuthProviderConfig]:
    return {name: config for name, config in providers.items() if name in CALENDAR_PROVIDERS}


async def list_connections(session: AsyncSession, principal: Principal) -> Sequence[ExternalConnection]:
    return await repository.list_owned(session, _owner(principal))


async def get_connection(
    session: AsyncSession, principal: Principal, connection_id: UUID
) -> ExternalConnection:
    connection = await repository.get_owned(session, _owner(principal), connection_id)
    if connection is None:
        raise service.ConnectionNotFound("No such connection of yours.")
    return connection


async def start(
    session: AsyncSession,
    principal: Principal,
    *,
    provider: str,
    providers: Mapping[str, OAuthProviderConfig],
) -> CalendarAuthorization:
    owner = _owner(principal)
    config = _calendar_providers(providers).get(provider)
    if config is None:
        raise ProviderNotOffered(
            f"{provider} is not configured here.", errors=[{"pointer": "#/provider", "detail": "not offered"}]
        )
    now = datetime.now(UTC)
    url = await service.begin_authorization(session, owner, oauth=config, now=now)
    return CalendarAuthorization(authorize_url=url, expires_at=now + AUTHORIZATION_TTL)


async def complete(
    session: AsyncSession,
    principal: Principal,
    *,
    state: str,
    code: str,
    providers: Mapping[str, OAuthProviderConfig],
) -> ExternalConnection:
    return await service.complete_authorization(
        session, _owner(principal), state=state, code=code, providers=_calendar_providers(providers)
    )


async def reconnect(
    session: AsyncSession,
    principal: Principal,
    connection_id: UUID,
    *,
    providers: Mapping[str, OAuthProviderConfig],
) -> CalendarAuthorization:
    connection = await get_connection(session, principal, connection_id)
    return await start(session, principal, provider=connection.provider, providers=providers)


async def disconnect(
    session: AsyncSession,
    principal: Principal,
    connection_id: UUID,
    *,
    providers: Mapping[str, OAuthProviderConfig],
) -> CalendarDisconnection:
    connection = await get_connection(session, principal, connection_id)
    config = providers.get(connection.provider)
    revoked = False
    if config is not None:
        revoked = await service.disconnect(session, connection, oauth=config)
    else:  # the provider's registration is gone: nothing to revoke with, forget the tokens anyway
        await service.forget(session, connection)
    return CalendarDisconnection(
        connection=CalendarConnection.model_validate(connection), revoked_at_provider=revoked
    )


async def health(session: AsyncSession, principal: Principal, person_id: UUID) -> CalendarHealth:
    if not (principal.sees_everything or principal.person_uuid == person_id):
        raise SupervisorRequired("Only a program manager may see someone else's calendar health.")
    connections = [
        c
        for c in await repository.list_owned(session, Owner(person_id=person_id))
        if c.provider in CALENDAR_PROVIDERS
    ]
    live = [c for c in connections if c.status != ConnectionStatus.DISCONNECTED]
    return CalendarHealth(
        person_id=person_id,
        connected=bool(live),
        healthy=any(c.status == ConnectionStatus.ACTIVE for c in live),
    )


# -- personal data (consent's access and erasure requests) ------------------------------------------------


async def export_person(session: AsyncSession, person_id: UUID) -> list[dict[str, object]]:
    """What the gateway keeps about a person's calendar connections, tokens excepted (they are
    credentials, not the person's data to take away, and useless outside this gateway)."""
    return [
        CalendarConnection.model_validate(c).model_dump(mode="json")
        for c in await repository.list_owned(session, Owner(person_id=person_id))
    ]


async def erase_person(
    session: AsyncSession, person_id: UUID, *, providers: Mapping[str, OAuthProviderConfig]
) -> int:
    """Revoke each live grant at its provider (where it can), then delete every connection and
    pending authorization of the person. How many connections were erased. No event is emitted: none
    may name the person after their erasure (a revoked grant also ends the provider's notifications)."""
    for connection in await repository.list_owned(session, Owner(person_id=person_id)):
        config = providers.get(connection.provider)
        if config is not None:
            await service.disconnect(session, connection, oauth=config, announce=False)
        else:
            await service.forget(session, connection, announce=False)
    return await repository.delete_person(session, person_id)
