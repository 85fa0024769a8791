"""The foundation: authorization code with PKCE and state, sealed tokens, refresh under a lock,
rotation, invalid_grant, reconnect, revocation; against the fakes over real HTTP."""

import asyncio
import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_gateway.connections import repository, service
from tandem_gateway.connections.domain import Owner
from tandem_gateway.connections.service import (
    AuthorizationNotFound,
    NeedsReauth,
    NotConnected,
    ProviderUnavailable,
    ScopesNotGranted,
)

from .conftest import Served, connect, consent_at, expire_locally, outbox, reload

SM = async_sessionmaker[AsyncSession]


async def test_connect_google_stores_sealed_tokens_and_announces(sessionmaker: SM, fakes: Served) -> None:
    person = uuid.uuid4()
    connection = await connect(sessionmaker, fakes.configs["google"], person, "ana@acme.test")

    stored = await reload(sessionmaker, connection.id)
    assert (stored.person_id, stored.provider, stored.status) == (person, "google", "active")
    assert stored.scopes == list(fakes.configs["google"].scopes)
    (grant,) = fakes.google.oauth.live_grants("ana@acme.test")
    issued_refresh = next(t for t, g in fakes.google.oauth.refresh_tokens.items() if g is grant)
    issued_access = next(t for t, a in fakes.google.oauth.access_tokens.items() if a.grant is grant)
    assert issued_refresh not in (stored.refresh_token_sealed or "")
    assert issued_access not in (stored.access_token_sealed or "")
    config = fakes.configs["google"]
    assert await service.access_token(sessionmaker, connection.id, oauth=config) == issued_access
    assert fakes.google.oauth.token_requests == ["authorization_code"]
    assert await outbox(sessionmaker, "CalendarConnected") == [
        {
            "connection_id": str(connection.id),
            "person_id": str(person),
            "provider": "google",
            "connected_at": stored.connected_at.isoformat().replace("+00:00", "Z"),
        }
    ]


async def test_google_authorize_url_asks_offline_consent_with_pkce(sessionmaker: SM, fakes: Served) -> None:
    async with sessionmaker() as session, session.begin():
        url = await service.begin_authorization(
            session, Owner(person_id=uuid.uuid4()), oauth=fakes.configs["google"]
        )
    query = dict(part.split("=", 1) for part in url.split("?", 1)[1].split("&"))
    assert query["access_type"] == "offline"
    assert query["prompt"] == "consent"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 43
    assert "code_verifier" not in query


async def test_connect_microsoft_end_to_end(sessionmaker: SM, fakes: Served) -> None:
    person = uuid.uuid4()
    connection = await connect(sessionmaker, fakes.configs["microsoft"], person, "bo@acme.test")
    stored = await reload(sessionmaker, connection.id)
    assert (stored.provider, stored.status) == ("microsoft", "active")
    assert stored.refresh_token_sealed is not None
    assert [e["provider"] for e in await outbox(sessionmaker, "CalendarConnected")] == ["microsoft"]


async def test_concurrent_callers_refresh_once(sessionmaker: SM, fakes: Served) -> None:
    config = fakes.configs["microsoft"]
    connection = await connect(sessionmaker, config, uuid.uuid4(), "cy@acme.test")
    await expire_locally(sessionmaker, connection.id)

    tokens = await asyncio.gather(
        *(service.access_token(sessionmaker, connection.id, oauth=config) for _ in range(10))
    )

    assert fakes.microsoft.oauth.token_requests == ["authorization_code", "refresh_token"]
    assert len(set(tokens)) == 1
    assert fakes.microsoft.oauth.access_tokens[tokens[0]].expires_at > 0


async def test_rotated_refresh_token_is_saved_every_time(sessionmaker: SM, fakes: Served) -> None:
    config = fakes.configs["microsoft"]
    connection = await connect(sessionmaker, config, uuid.uuid4(), "di@acme.test")
    seen = []
    for _ in range(3):
        await expire_locally(sessionmaker, connection.id)
        seen.append(await service.access_token(sessionmaker, connection.id, oauth=config))

    # Each refresh killed the refresh token it used: the third worked only with the second's successor.
    assert fakes.microsoft.oauth.token_requests == ["authorization_code"] + ["refresh_token"] * 3
    assert len(set(seen)) == 3
    assert (await reload(sessionmaker, connection.id)).status == "active"
    assert len(fakes.microsoft.oauth.refresh_tokens) == 1


async def test_expired_access_token_is_refreshed(sessionmaker: SM, fakes: Served) -> None:
    config = fakes.configs["google"]
    connection = await connect(sessionmaker, config, uuid.uuid4(), "ed@acme.test")
    first = await service.access_token(sessionmaker, connection.id, oauth=config)
    await expire_locally(sessionmaker, connection.id)

    second = await service.access_token(sessionmaker, connection.id, oauth=config)

    assert second != first
    assert fakes.google.oauth.user_of_token(second) == "ed@acme.test"
    stored = await reload(sessionmaker, connection.id)
    assert stored.refreshed_at is not None
    # Google does not rotate: the refresh token issued at connect time still works.
    assert len(fakes.google.oauth.refresh_tokens) == 1


async def test_invalid_grant_needs_reauth_and_breaks_the_connection(sessionmaker: SM, fakes: Served) -> None:
    config = fakes.configs["google"]
    person = uuid.uuid4()
    connection = await connect(sessionmaker, config, person, "fa@acme.test")
    fakes.google.oauth.revoke_grants("fa@acme.test")
    await expire_locally(sessionmaker, connection.id)

    with pytest.raises(NeedsReauth):
        await service.access_token(sessionmaker, connection.id, oauth=config)
    with pytest.raises(NeedsReauth):  # no second call to the provider
        await service.access_token(sessionmaker, connection.id, oauth=config)

    stored = await reload(sessionmaker, connection.id)
    assert (stored.status, stored.broken_reason) == ("needs_reauth", "invalid_grant")
    assert (stored.access_token_sealed, stored.refresh_token_sealed) == (None, None)
    assert fakes.google.oauth.token_requests == ["authorization_code", "refresh_token"]
    (broken,) = await outbox(sessionmaker, "CalendarConnectionBroken")
    assert broken["connection_id"] == str(connection.id)
    assert broken["person_id"] == str(person)
    assert (broken["provider"], broken["reason"]) == ("google", "invalid_grant")


async def test_reconnect_reuses_the_connection(sessionmaker: SM, fakes: Served) -> None:
    config = fakes.configs["microsoft"]
    person = uuid.uuid4()
    first = await connect(sessionmaker, config, person, "gu@acme.test")
    fakes.microsoft.oauth.revoke_grants("gu@acme.test")
    await expire_locally(sessionmaker, first.id)
    with pytest.raises(NeedsReauth):
        await service.access_token(sessionmaker, first.id, oauth=config)

    again = await connect(sessionmaker, config, person, "gu@acme.test")

    assert again.id == first.id
    stored = await reload(sessionmaker, first.id)
    assert (stored.status, stored.broken_at, stored.broken_reason) == ("active", None, None)
    token = await service.access_token(sessionmaker, first.id, oauth=config)
    assert fakes.microsoft.oauth.user_of_token(token) == "gu@acme.test"
    assert len(await outbox(sessionmaker, "CalendarConnected")) == 2


async def test_provider_down_changes_nothing(sessionmaker: SM, fakes: Served) -> None:
    config = fakes.configs["google"]
    connection = await connect(sessionmaker, config, uuid.uuid4(), "ha@acme.test")
    await expire_locally(sessionmaker, connection.id)
    fakes.google.oauth.fail_token_requests.append(503)

    with pytest.raises(ProviderUnavailable):
        await service.access_token(sessionmaker, connection.id, oauth=config)

    assert (await reload(sessionmaker, connection.id)).status == "active"
    assert await service.access_token(sessionmaker, connection.id, oauth=config)


async def test_disconnect_revokes_at_google(sessionmaker: SM, fakes: Served) -> None:
    config = fakes.configs["google"]
    connection = await connect(sessionmaker, config, uuid.uuid4(), "io@acme.test")

    async with sessionmaker() as session, session.begin():
        row = await session.get(type(connection), connection.id)
        assert row is not None
        revoked = await service.disconnect(session, row, oauth=config)

    assert revoked is True
    assert fakes.google.oauth.live_grants("io@acme.test") == []
    stored = await reload(sessionmaker, connection.id)
    assert (stored.status, stored.access_token_sealed, stored.refresh_token_sealed) == (
        "disconnected",
        None,
        None,
    )
    (broken,) = await outbox(sessionmaker, "CalendarConnectionBroken")
    assert broken["reason"] == "disconnected"
    with pytest.raises(NotConnected):
        await service.access_token(sessionmaker, connection.id, oauth=config)


async def test_disconnect_microsoft_forgets_tokens_without_revocation(
    sessionmaker: SM, fakes: Served
) -> None:
    config = fakes.configs["microsoft"]
    connection = await connect(sessionmaker, config, uuid.uuid4(), "ja@acme.test")

    async with sessionmaker() as session, session.begin():
        row = await session.get(type(connection), connection.id)
        assert row is not None
        revoked = await service.disconnect(session, row, oauth=config)

    assert revoked is False
    assert (await reload(sessionmaker, connection.id)).status == "disconnected"


async def test_state_works_once_and_only_for_who_started_it(sessionmaker: SM, fakes: Served) -> None:
    config = fakes.configs["google"]
    person, intruder = Owner(person_id=uuid.uuid4()), Owner(person_id=uuid.uuid4())
    async with sessionmaker() as session, session.begin():
        url = await service.begin_authorization(session, person, oauth=config)
    back = await consent_at(url, "ka@acme.test")
    providers = {"google": config}

    with pytest.raises(AuthorizationNotFound):
        async with sessionmaker() as session, session.begin():
            await service.complete_authorization(
                session, intruder, state=back["state"], code=back["code"], providers=providers
            )
    # The intruder's attempt rolled back: the owner can still complete it, once.
    async with sessionmaker() as session, session.begin():
        await service.complete_authorization(
            session, person, state=back["state"], code=back["code"], providers=providers
        )
    with pytest.raises(AuthorizationNotFound):
        async with sessionmaker() as session, session.begin():
            await service.complete_authorization(
                session, person, state=back["state"], code=back["code"], providers=providers
            )


async def test_unticked_permission_keeps_nothing(sessionmaker: SM, fakes: Served) -> None:
    config = fakes.configs["google"]
    fakes.google.oauth.withheld_scopes.add("https://www.googleapis.com/auth/calendar.events.owned")
    person = uuid.uuid4()

    with pytest.raises(ScopesNotGranted) as refused:
        await connect(sessionmaker, config, person, "la@acme.test")

    assert refused.value.extensions["missing"] == ["https://www.googleapis.com/auth/calendar.events.owned"]
    async with sessionmaker() as session:
        assert await repository.list_owned(session, Owner(person_id=person)) == []


async def test_token_refused_early_is_refreshed_once(sessionmaker: SM, fakes: Served) -> None:
    config = fakes.configs["microsoft"]
    connection = await connect(sessionmaker, config, uuid.uuid4(), "pa@acme.test")
    old = await service.access_token(sessionmaker, connection.id, oauth=config)
    fakes.microsoft.oauth.expire_tokens("pa@acme.test")  # the provider drops it before its expiry

    # Two callers saw the same 401; the second finds the token already replaced.
    await service.expire_refused(sessionmaker, connection.id, old, oauth=config)
    new = await service.access_token(sessionmaker, connection.id, oauth=config)
    await service.expire_refused(sessionmaker, connection.id, old, oauth=config)

    assert await service.access_token(sessionmaker, connection.id, oauth=config) == new
    assert fakes.microsoft.oauth.user_of_token(new) == "pa@acme.test"
    assert fakes.microsoft.oauth.token_requests == ["authorization_code", "refresh_token"]
