"""Client administration and key rotation (the admin API and the bootstrap CLI call these)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_gateway.models import OAuthClient, SigningKey
from tandem_gateway.oauth import repository
from tandem_gateway.oauth.domain import hash_secret, new_client_id, new_client_secret
from tandem_gateway.oauth.keys import KeyStore
from tandem_gateway.oauth.schemas import ClientCreate, SigningKeyInfo
from tandem_kit.auth import Principal
from tandem_kit.errors import Conflict, NotFound
from tandem_kit.pagination import PageParams

log = structlog.get_logger("tandem.gateway.clients")


class ClientNotFound(NotFound):
    code, title = "client-not-found", "Client not found"


class ClientExists(Conflict):
    code, title = "client-exists", "Client already exists"


async def create_client(
    session: AsyncSession, principal: Principal | None, data: ClientCreate
) -> tuple[OAuthClient, str]:
    """A new client and its secret (the only time the secret exists outside the caller)."""
    if await repository.get_client_by_name(session, data.name) is not None:
        raise ClientExists(f"A client named {data.name!r} exists.", pointer="#/name")
    secret = new_client_secret()
    client = OAuthClient(
        client_id=new_client_id(),
        name=data.name,
        secret_hash=await asyncio.to_thread(hash_secret, secret),
        scopes=list(data.scopes),
        enabled=True,
    )
    session.add(client)
    await session.flush()
    await session.refresh(client)
    log.info("gateway.client.created", client_id=client.client_id, by=principal and principal.client_id)
    return client, secret


async def list_clients(session: AsyncSession, page: PageParams) -> tuple[Sequence[OAuthClient], int]:
    return await repository.list_clients(session, page)


async def get_client(session: AsyncSession, client_id: str) -> OAuthClient:
    client = await repository.get_client(session, client_id)
    if client is None:
        raise ClientNotFound(f"No client with id {client_id!r}.", parameter="client_id")
    return client


async def rotate_secret(
    session: AsyncSession, principal: Principal | None, client_id: str
) -> tuple[OAuthClient, str]:
    """A new secret; the old one stops working at once (tokens already issued stay valid until expiry)."""
    client = await get_client(session, client_id)
    secret = new_client_secret()
    client.secret_hash = await asyncio.to_thread(hash_secret, secret)
    client.secret_rotated_at = datetime.now(UTC)
    await session.flush()
    log.info("gateway.client.secret_rotated", client_id=client_id, by=principal and principal.client_id)
    return client, secret


async def disable_client(session: AsyncSession, principal: Principal, client_id: str) -> OAuthClient:
    client = await get_client(session, client_id)
    if client.enabled:
        client.enabled = False
        client.disabled_at = datetime.now(UTC)
        await session.flush()
        log.info("gateway.client.disabled", client_id=client_id, by=principal.client_id)
    return client


async def rotate_keys(session: AsyncSession, principal: Principal, keystore: KeyStore) -> SigningKey:
    key = await keystore.rotate(session)
    log.info(
        "gateway.keys.rotated", kid=key.kid, activates_at=key.activates_at.isoformat(), by=principal.client_id
    )
    return key


async def list_keys(keystore: KeyStore) -> list[SigningKeyInfo]:
    await keystore.refresh(force=True)
    schedule = keystore.schedule()
    return [
        SigningKeyInfo(kid=k.kid, alg="ES256", state=schedule.states[k.kid], activates_at=k.activates_at)
        for k in keystore.loaded()
    ]
