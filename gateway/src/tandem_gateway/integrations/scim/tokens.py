"""Long-lived SCIM provisioning tokens (Entra ID and Okta take a static bearer secret): issued by an
admin per provisioning client, shown once, stored as a SHA-256 hash, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_gateway.models import ProvisioningToken
from tandem_kit.auth import Principal
from tandem_kit.errors import NotFound, Unauthorized
from tandem_kit.pagination import PageParams

PREFIX = "tscim_"
# last_used_at is written at most this often, so a bulk load does not rewrite the row per request.
LAST_USED_GRANULARITY = timedelta(minutes=1)


class ProvisioningTokenNotFound(NotFound):
    code, title = "provisioning-token-not-found", "Provisioning token not found"


class InvalidProvisioningToken(Unauthorized):
    code, title = "invalid-provisioning-token", "Invalid provisioning token"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like(token: str) -> bool:
    return token.startswith(PREFIX)


async def issue(
    session: AsyncSession, principal: Principal, *, client_name: str, expires_at: datetime | None
) -> tuple[ProvisioningToken, str]:
    token = PREFIX + secrets.token_urlsafe(32)
    row = ProvisioningToken(
        client_name=client_name,
        prefix=token[: len(PREFIX) + 6],
        token_hash=digest(token),
        created_by=principal.subject,
        expires_at=expires_at,
    )
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row, token


async def list_tokens(session: AsyncSession, page: PageParams) -> tuple[list[ProvisioningToken], int]:
    statement = select(ProvisioningToken).order_by(ProvisioningToken.created_at, ProvisioningToken.id)
    total = await session.scalar(select(func.count()).select_from(ProvisioningToken))
    rows = (await session.execute(statement.offset(page.offset).limit(page.limit))).scalars().all()
    return list(rows), int(total or 0)


async def revoke(session: AsyncSession, token_id: UUID) -> ProvisioningToken:
    row = await session.get(ProvisioningToken, token_id)
    if row is None:
        raise ProvisioningTokenNotFound(f"provisioning token {token_id} does not exist")
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        await session.flush()
    return row


async def authenticate(session: AsyncSession, token: str) -> ProvisioningToken:
    """The live token row for a presented secret, else 401."""
    row = (
        await session.execute(select(ProvisioningToken).where(ProvisioningToken.token_hash == digest(token)))
    ).scalar_one_or_none()
    now = datetime.now(UTC)
    if row is None or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        raise InvalidProvisioningToken(
            "The provisioning token is unknown, revoked or expired.", headers={"WWW-Authenticate": "Bearer"}
        )
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_GRANULARITY:
        row.last_used_at = now
        await session.flush()
    return row
