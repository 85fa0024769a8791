"""IdP user tokens map to a directory person: the person claim, else sub = externalId, else the e-mail
claim = work e-mail; a person the directory holds as deactivated is refused (docs/gateway.md, People)."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI

from tandem_gateway.app import create_app
from tandem_gateway.directory.schemas import PersonRecord
from tandem_gateway.directory.service import apply_person
from tandem_gateway.oauth.user_tokens import PersonDeactivated, UserTokenRejected, UserTokens
from tandem_gateway.testing import GATEWAY_DIR, FakeIdp, gateway_settings, serve
from tandem_kit.testing import Infra, running, sessionmaker_of

PARTICIPANTS = "tandem-participants"


@dataclass
class Edge:
    app: FastAPI
    idp: FakeIdp
    tokens: UserTokens


@pytest.fixture(scope="module")
async def edge(infra: Infra) -> AsyncIterator[Edge]:
    idp = FakeIdp()
    async with serve(idp.app) as idp_url:
        settings = gateway_settings(
            infra,
            database_url=infra.fresh_database("gateway", GATEWAY_DIR),
            user_token_issuers=[
                {
                    "issuer": idp.issuer,
                    "jwks_url": f"{idp_url}/keys",
                    "audience": idp.audience,
                    "role_map": {PARTICIPANTS: "participant"},
                    "scopes_by_role": {"participant": ["consent:read"]},
                }
            ],
        )
        app = create_app(settings)
        async with running(app):
            yield Edge(app, idp, app.state.user_tokens)


async def person(edge: Edge, user_name: str, **values: object) -> uuid.UUID:
    async with sessionmaker_of(edge.app)() as session, session.begin():
        record = PersonRecord(user_name=user_name, **values)  # type: ignore[arg-type]
        result = await apply_person(session, record, person_id=None, source="scim", actor="test")
        return result.person.id


async def test_sub_matches_external_id(edge: Edge) -> None:
    ada = await person(edge, "ada@acme.test", external_id="00u-ada")

    minted = await edge.tokens.exchange(edge.idp.token(None, [PARTICIPANTS], sub="00u-ada"))

    assert minted.claims["person_id"] == str(ada)
    assert minted.claims["sub"] == f"person:{ada}"


async def test_email_claim_matches_work_email(edge: Edge) -> None:
    grace = await person(edge, "grace", email="Grace@Acme.test")

    minted = await edge.tokens.exchange(
        edge.idp.token(None, [PARTICIPANTS], sub="00u-x", email="grace@acme.TEST")
    )

    assert minted.claims["person_id"] == str(grace)


async def test_deactivated_person_is_refused(edge: Edge) -> None:
    await person(edge, "gone@acme.test", external_id="00u-gone", active=False)

    with pytest.raises(PersonDeactivated):
        await edge.tokens.exchange(edge.idp.token(None, [PARTICIPANTS], sub="00u-gone"))


async def test_deactivated_person_claim_is_refused(edge: Edge) -> None:
    left = await person(edge, "left@acme.test", active=False)

    with pytest.raises(PersonDeactivated):
        await edge.tokens.exchange(edge.idp.token(str(left), [PARTICIPANTS]))


async def test_unknown_person_is_401_naming_the_claim(edge: Edge) -> None:
    with pytest.raises(UserTokenRejected) as caught:
        await edge.tokens.exchange(
            edge.idp.token(None, [PARTICIPANTS], sub="00u-nobody", email="no@acme.test")
        )

    assert caught.value.extensions["claim"] == "tandem_person_id"


async def test_person_claim_outside_the_directory_still_works(edge: Edge) -> None:
    someone = uuid.uuid4()

    minted = await edge.tokens.exchange(edge.idp.token(str(someone), [PARTICIPANTS]))

    assert minted.claims["person_id"] == str(someone)
