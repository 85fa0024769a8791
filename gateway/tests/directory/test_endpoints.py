"""The directory's read API (docs/contracts.md): facts and manager chain, lookup by e-mail/externalId."""

import uuid
from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_gateway.directory.schemas import PersonRecord
from tandem_gateway.directory.service import apply_person
from tandem_gateway.testing import bearer

TokenFactory = Callable[..., Awaitable[str]]
API = "/api/v1/directory/people"


async def chain(session: AsyncSession) -> list[uuid.UUID]:
    """ceo <- vp <- ada; returns [ada, vp, ceo]."""
    ceo = await apply_person(
        session, PersonRecord(user_name="ceo", level="executive"), person_id=None, source="api", actor="t"
    )
    vp = await apply_person(
        session,
        PersonRecord(user_name="vp", manager_id=ceo.person.id),
        person_id=None,
        source="api",
        actor="t",
    )
    ada = await apply_person(
        session,
        PersonRecord(
            user_name="ada", email="Ada@acme.test", external_id="W-1", level="senior", manager_id=vp.person.id
        ),
        person_id=None,
        source="api",
        actor="t",
    )
    await session.commit()
    return [ada.person.id, vp.person.id, ceo.person.id]


async def test_anonymous(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{API}/{uuid.uuid4()}")).status_code == 401


async def test_missing_scope(client: httpx.AsyncClient, token_for: TokenFactory) -> None:
    token = await token_for("scim:provision")
    assert (await client.get(f"{API}/{uuid.uuid4()}", headers=bearer(token))).status_code == 403


async def test_unknown_person_404(client: httpx.AsyncClient, token_for: TokenFactory) -> None:
    token = await token_for("directory:read")
    response = await client.get(f"{API}/{uuid.uuid4()}", headers=bearer(token))
    assert response.status_code == 404
    assert response.json()["type"].endswith("person-not-found")


async def test_facts_and_manager_chain(
    session: AsyncSession, client: httpx.AsyncClient, token_for: TokenFactory
) -> None:
    ada, vp, ceo = await chain(session)
    token = await token_for("directory:read")

    body = (await client.get(f"{API}/{ada}", headers=bearer(token))).json()

    assert body["manager_chain"] == [str(vp), str(ceo)]
    assert (body["level"], body["level_rank"], body["manager_id"], body["active"]) == (
        "senior",
        3,
        str(vp),
        True,
    )


async def test_lookup_by_email_and_external_id(
    session: AsyncSession, client: httpx.AsyncClient, token_for: TokenFactory
) -> None:
    ada, _, _ = await chain(session)
    token = await token_for("directory:read")

    by_email = await client.post(f"{API}:lookup", json={"emails": ["ada@ACME.test"]}, headers=bearer(token))
    by_id = await client.post(f"{API}:lookup", json={"external_ids": ["W-1", "W-2"]}, headers=bearer(token))

    assert [p["person_id"] for p in by_email.json()["people"]] == [str(ada)]
    assert [p["person_id"] for p in by_id.json()["people"]] == [str(ada)]
