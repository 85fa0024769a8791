from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_gateway.models import AuthFailure, OAuthClient, RevokedToken, SigningKey
from tandem_kit.pagination import PageParams, fetch_page


def clients_statement() -> Select[tuple[OAuthClient]]:
    # Clients are only ever read by admins or by the client authenticating itself: no owner filter.
    return select(OAuthClient).order_by(OAuthClient.created_at, OAuthClient.name)


async def list_clients(session: AsyncSession, page: PageParams) -> tuple[Sequence[OAuthClient], int]:
    return await fetch_page(session, clients_statement(), page)


async def get_client(session: AsyncSession, client_id: str) -> OAuthClient | None:
    client: OAuthClient | None = await session.scalar(
        clients_statement().where(OAuthClient.client_id == client_id)
    )
    return client


async def get_client_by_name(session: AsyncSession, name: str) -> OAuthClient | None:
    client: OAuthClient | None = await session.scalar(clients_statement().where(OAuthClient.name == name))
    return client


async def list_signing_keys(session: AsyncSession) -> Sequence[SigningKey]:
    return (await session.scalars(select(SigningKey).order_by(SigningKey.activates_at))).all()


async def lock_signing_keys(session: AsyncSession) -> None:
    """Serialise key creation across replicas for the rest of the transaction."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('tandem-gateway-signing-keys'))"))


async def revoke(session: AsyncSession, *, jti: str, client_id: str, expires_at: datetime) -> None:
    statement = insert(RevokedToken).values(jti=jti, client_id=client_id, expires_at=expires_at)
    await session.execute(statement.on_conflict_do_nothing(index_elements=[RevokedToken.jti]))


async def is_revoked(session: AsyncSession, jti: str) -> bool:
    return await session.scalar(select(RevokedToken.jti).where(RevokedToken.jti == jti)) is not None


async def unexpired_revoked_ids(session: AsyncSession) -> list[str]:
    rows = await session.scalars(
        select(RevokedToken.jti).where(RevokedToken.expires_at > func.now()).order_by(RevokedToken.jti)
    )
    return list(rows)


async def record_failure(session: AsyncSession, source: str, window_start: datetime) -> int:
    """Count one failure for `source` in the window; returns the window's count so far."""
    insert_row = insert(AuthFailure).values(source=source, window_start=window_start, failures=1)
    statement = insert_row.on_conflict_do_update(
        index_elements=[AuthFailure.source, AuthFailure.window_start],
        set_={"failures": AuthFailure.failures + 1},
    ).returning(AuthFailure.failures)
    return int((await session.execute(statement)).scalar_one())


async def failures_in(session: AsyncSession, source: str, window_start: datetime) -> int:
    """The failures counted for `source` in the window starting at `window_start`."""
    count = await session.scalar(
        select(AuthFailure.failures).where(
            AuthFailure.source == source, AuthFailure.window_start == window_start
        )
    )
    return int(count or 0)


async def forget_failures_before(session: AsyncSession, source: str, window_start: datetime) -> None:
    await session.execute(
        delete(AuthFailure).where(AuthFailure.source == source, AuthFailure.window_start < window_start)
    )
