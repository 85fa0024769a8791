"""People through front ends: IdP user tokens at the gateway, against a fake IdP served over HTTP and
the real consent service (object-level checks), REST, GraphQL and the RFC 8693 exchange grant."""

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI

from tandem_gateway.app import create_app
from tandem_gateway.oauth.domain import TOKEN_EXCHANGE_GRANT
from tandem_gateway.oauth.user_tokens import UserTokens
from tandem_gateway.testing import (
    GATEWAY_DIR,
    ISSUER,
    Credentials,
    FakeIdp,
    bearer,
    create_oauth_client,
    gateway_settings,
    serve,
)
from tandem_kit.embedded import free_port
from tandem_kit.testing import Infra, eventually

PARTICIPANTS, MANAGERS = "tandem-participants", "tandem-program-managers"
JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt"


@dataclass
class Stack:
    gateway: FastAPI
    url: str
    idp: FakeIdp
    exchanger: Credentials
    plain_client: Credentials


@pytest.fixture(scope="module")
async def stack(infra: Infra, consent_behind: Callable[[str], FastAPI]) -> AsyncIterator[Stack]:
    idp = FakeIdp()
    gateway_port, consent_port = free_port(), free_port()
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    async with serve(idp.app) as idp_url:
        issuers = [
            {
                "issuer": idp.issuer,
                "jwks_url": f"{idp_url}/keys",
                "audience": idp.audience,
                "role_map": {PARTICIPANTS: "participant", MANAGERS: "program_manager"},
                "scopes_by_role": {
                    "participant": ["consent:read", "consent:write", "scheduling:read"],
                    "program_manager": ["consent:read", "matching:read", "matching:write"],
                },
            }
        ]
        gateway = create_app(
            gateway_settings(
                infra,
                database_url=infra.fresh_database("gateway", GATEWAY_DIR),
                consent_url=f"http://127.0.0.1:{consent_port}",
                graphql_subgraphs=("consent",),
                user_token_issuers=issuers,
            )
        )
        async with (
            serve(gateway, port=gateway_port),
            serve(consent_behind(gateway_url), port=consent_port),
        ):
            exchanger = await create_oauth_client(gateway, "token:exchange", name="front-end-bff")
            plain = await create_oauth_client(gateway, "consent:read", name="no-exchange")
            yield Stack(gateway, gateway_url, idp, exchanger, plain)


@pytest.fixture
async def http(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.url, timeout=10) as client:
        yield client


def consents(person: uuid.UUID) -> str:
    return f"/api/v1/consent/people/{person}/consents"


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


async def test_participant_reads_own_consents(stack: Stack, http: httpx.AsyncClient) -> None:
    me = uuid.uuid4()
    response = await http.get(consents(me), headers=bearer(stack.idp.token(str(me), [PARTICIPANTS])))
    assert response.status_code == 200, response.text
    assert "matching" in [c["purpose"] for c in response.json()]


async def test_participant_cannot_see_someone_else(stack: Stack, http: httpx.AsyncClient) -> None:
    token = stack.idp.token(str(uuid.uuid4()), [PARTICIPANTS])
    response = await http.get(consents(uuid.uuid4()), headers=bearer(token))
    assert response.status_code == 404
    assert response.json()["type"] == "https://tandem.dev/problems/person-not-found"


async def test_program_manager_sees_others(stack: Stack, http: httpx.AsyncClient) -> None:
    token = stack.idp.token(str(uuid.uuid4()), ["Everyone", MANAGERS])
    response = await http.get(consents(uuid.uuid4()), headers=bearer(token))
    assert response.status_code == 200, response.text


async def test_role_scopes_checked_at_gateway(stack: Stack, http: httpx.AsyncClient) -> None:
    token = stack.idp.token(str(uuid.uuid4()), [PARTICIPANTS])
    response = await http.get("/api/v1/matching/programs", headers=bearer(token))
    assert response.status_code == 403
    assert response.json()["missing_scopes"] == ["matching:read"]


async def test_graphql_person_sees_only_own(stack: Stack, http: httpx.AsyncClient) -> None:
    me = uuid.uuid4()
    token = stack.idp.token(str(me), [PARTICIPANTS])
    query = "query Mine($id: UUID!) { personConsents(personId: $id) { purpose } }"

    async def ask(person: uuid.UUID) -> httpx.Response | None:
        body = {"query": query, "variables": {"id": str(person)}}
        response = await http.post("/graphql", json=body, headers=bearer(token))
        return response if response.status_code == 200 else None

    own = await eventually(lambda: ask(me), timeout=10)
    assert "matching" in [c["purpose"] for c in own.json()["data"]["personConsents"]]
    stranger = uuid.uuid4()
    other = (await ask(stranger)).json()  # type: ignore[union-attr]
    assert other["data"] is None
    assert other["errors"][0]["message"] == f"No person {stranger} is visible to this caller."
    assert other["errors"][0]["extensions"]["serviceName"] == "consent"


@pytest.mark.parametrize(
    ("case", "detail"),
    [
        ("expired", "expired"),
        ("not_yet_valid", "not valid"),
        ("wrong_audience", "aud"),
        ("bad_signature", "not valid"),
        ("unknown_kid", "key"),
        ("no_person", "tandem_person_id"),
        ("person_not_uuid", "tandem_person_id"),
        ("untrusted_issuer", "unknown key"),
    ],
)
async def test_refused_user_tokens_401(stack: Stack, http: httpx.AsyncClient, case: str, detail: str) -> None:
    idp, person = stack.idp, str(uuid.uuid4())
    tokens = {
        "expired": lambda: idp.token(person, [PARTICIPANTS], expires_in=-60, issued_in=-3600),
        "not_yet_valid": lambda: idp.token(person, [PARTICIPANTS], not_before_in=600),
        "wrong_audience": lambda: idp.token(person, [PARTICIPANTS], audience="api://payroll"),
        "bad_signature": lambda: idp.token(
            person, [PARTICIPANTS], key=FakeIdp.new_key(idp.keys[0].as_dict()["kid"])
        ),
        "unknown_kid": lambda: idp.token(person, [PARTICIPANTS], key=FakeIdp.new_key()),
        "no_person": lambda: idp.token(None, [PARTICIPANTS]),
        "person_not_uuid": lambda: idp.token("jane.doe@example.com", [PARTICIPANTS]),
        "untrusted_issuer": lambda: FakeIdp(issuer="https://evil.example.test").token(person, [PARTICIPANTS]),
    }
    response = await http.get(consents(uuid.UUID(person)), headers=bearer(tokens[case]()))
    body = assert_problem(response, 401)
    assert detail in body["detail"], body
    graphql = await http.post("/graphql", json={"query": "{ __typename }"}, headers=bearer(tokens[case]()))
    assert_problem(graphql, 401)


async def test_person_claim_named(stack: Stack, http: httpx.AsyncClient) -> None:
    response = await http.get(
        "/api/v1/consent/purposes", headers=bearer(stack.idp.token("42", [PARTICIPANTS]))
    )
    body = assert_problem(response, 401)
    assert body["claim"] == "tandem_person_id"
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


async def test_no_mapped_role_403_everywhere(stack: Stack, http: httpx.AsyncClient) -> None:
    token = stack.idp.token(str(uuid.uuid4()), ["Everyone", "Engineering"])
    for response in (
        await http.get("/api/v1/consent/purposes", headers=bearer(token)),
        await http.post("/graphql", json={"query": "{ __typename }"}, headers=bearer(token)),
        await http.get("/api/v1/admin/clients", headers=bearer(token)),
    ):
        body = assert_problem(response, 403)
        assert body["type"] == "https://tandem.dev/problems/no-tandem-role"


async def test_idp_key_rotation_refetches_jwks(stack: Stack, http: httpx.AsyncClient) -> None:
    person = uuid.uuid4()
    assert (
        await http.get(consents(person), headers=bearer(stack.idp.token(str(person), [PARTICIPANTS])))
    ).status_code == 200
    fetches = stack.idp.jwks_fetches
    stack.idp.rotate()
    token = stack.idp.token(str(person), [PARTICIPANTS])
    assert jwt.get_unverified_header(token)["kid"] == stack.idp.keys[0].as_dict()["kid"]

    async def accepted() -> bool:
        return (await http.get(consents(person), headers=bearer(token))).status_code == 200

    await eventually(accepted, timeout=5)
    assert stack.idp.jwks_fetches > fetches


async def test_public_routes_ignore_a_stale_user_token(stack: Stack, http: httpx.AsyncClient) -> None:
    stale = stack.idp.token(str(uuid.uuid4()), [PARTICIPANTS], expires_in=-60, issued_in=-3600)
    assert (await http.get("/.well-known/jwks.json", headers=bearer(stale))).status_code == 200
    assert (await http.get("/api/v1/consent/openapi.json", headers=bearer(stale))).status_code == 200


# -- RFC 8693 token exchange -------------------------------------------------------------------


async def exchange(http: httpx.AsyncClient, creds: Credentials, subject: str, **form: str) -> httpx.Response:
    data = {
        "grant_type": TOKEN_EXCHANGE_GRANT,
        "subject_token": subject,
        "subject_token_type": JWT_TYPE,
        **form,
    }
    return await http.post("/oauth/token", data=data, headers=creds.basic)


async def gateway_key(http: httpx.AsyncClient, token: str) -> Any:
    kid = jwt.get_unverified_header(token)["kid"]
    keys = (await http.get("/.well-known/jwks.json")).json()["keys"]
    return jwt.PyJWK(next(k for k in keys if k["kid"] == kid)).key


async def test_exchange_mints_person_token(stack: Stack, http: httpx.AsyncClient) -> None:
    person = uuid.uuid4()
    subject = stack.idp.token(str(person), [PARTICIPANTS, "Everyone"], sub="00u-jane", expires_in=120)
    idp_exp = jwt.decode(subject, options={"verify_signature": False})["exp"]
    response = await exchange(http, stack.exchanger, subject)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["issued_token_type"] == "urn:ietf:params:oauth:token-type:access_token"
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "scheduling:read consent:read consent:write"
    assert 0 < body["expires_in"] <= 120
    token = body["access_token"]
    claims = jwt.decode(
        token, await gateway_key(http, token), algorithms=["ES256"], audience="tandem", issuer=ISSUER
    )
    assert claims["sub"] == f"person:{person}"
    assert claims["person_id"] == str(person)
    assert claims["roles"] == ["participant"]
    assert claims["act"] == {"sub": "00u-jane", "iss": stack.idp.issuer}
    assert claims["client_id"] == "0oa-front-end"
    assert "client_name" not in claims
    assert claims["exp"] == idp_exp
    # The minted token works on its own, straight at the service's door through the gateway.
    assert (await http.get(consents(person), headers=bearer(token))).status_code == 200


async def test_minted_token_lives_at_most_five_minutes(stack: Stack, http: httpx.AsyncClient) -> None:
    subject = stack.idp.token(str(uuid.uuid4()), [MANAGERS], expires_in=3600)
    response = await exchange(http, stack.exchanger, subject)
    token = response.json()["access_token"]
    claims = jwt.decode(token, await gateway_key(http, token), algorithms=["ES256"], audience="tandem")
    assert claims["exp"] - claims["iat"] == 300
    assert claims["roles"] == ["program_manager"]
    assert claims["scope"] == "matching:read matching:write consent:read"


async def test_same_idp_token_signed_once(stack: Stack, http: httpx.AsyncClient) -> None:
    user_tokens: UserTokens = stack.gateway.state.user_tokens
    subject = stack.idp.token(str(uuid.uuid4()), [PARTICIPANTS])
    before = user_tokens.signed
    first = (await exchange(http, stack.exchanger, subject)).json()["access_token"]
    second = (await exchange(http, stack.exchanger, subject)).json()["access_token"]
    person = jwt.decode(subject, options={"verify_signature": False})["tandem_person_id"]
    assert (await http.get(consents(uuid.UUID(person)), headers=bearer(subject))).status_code == 200
    assert first == second
    assert user_tokens.signed == before + 1


async def test_exchange_needs_token_exchange_scope(stack: Stack, http: httpx.AsyncClient) -> None:
    response = await exchange(http, stack.plain_client, stack.idp.token(str(uuid.uuid4()), [PARTICIPANTS]))
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


@pytest.mark.parametrize(
    "subject",
    ["not-a-jwt", "expired", "gateway-token", "no-role"],
)
async def test_exchange_bad_subject_token(stack: Stack, http: httpx.AsyncClient, subject: str) -> None:
    person = str(uuid.uuid4())
    gateway_token = (
        await http.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, headers=stack.plain_client.basic
        )
    ).json()["access_token"]
    tokens = {
        "not-a-jwt": "garbage",
        "expired": stack.idp.token(person, [PARTICIPANTS], expires_in=-10, issued_in=-600),
        "gateway-token": gateway_token,
        "no-role": stack.idp.token(person, ["Everyone"]),
    }
    response = await exchange(http, stack.exchanger, tokens[subject])
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_grant"
    assert response.json()["error_description"]


async def test_exchange_refuses_wrong_subject_type(stack: Stack, http: httpx.AsyncClient) -> None:
    subject = stack.idp.token(str(uuid.uuid4()), [PARTICIPANTS])
    response = await exchange(
        http, stack.exchanger, subject, subject_token_type="urn:ietf:params:oauth:token-type:saml2"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_metadata_lists_token_exchange(http: httpx.AsyncClient) -> None:
    body = (await http.get("/.well-known/oauth-authorization-server")).json()
    assert body["grant_types_supported"] == ["client_credentials", TOKEN_EXCHANGE_GRANT]
    assert "token:exchange" in body["scopes_supported"]


async def test_exchange_when_feature_off(app: FastAPI, client: httpx.AsyncClient) -> None:
    creds = await create_oauth_client(app, "token:exchange")
    response = await exchange(client, creds, FakeIdp().token(str(uuid.uuid4()), [PARTICIPANTS]))
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"
