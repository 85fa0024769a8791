"""Token verification: signature via a JWKS fetched over HTTP, claims, revocation, scopes."""

import base64
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from authlib.jose import JsonWebKey, jwt
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tandem_kit.app import create_app  # noqa: F401  (import check: the factory module loads)
from tandem_kit.auth import Principal, TokenVerifier
from tandem_kit.errors import ProblemError, ServiceUnavailable, Unauthorized

ISSUER = "https://issuer.test"


class KeyPublisher:
    """A JWKS document and a denylist served over HTTP, as an issuer would."""

    def __init__(self) -> None:
        self.keys: list[Any] = []
        self.revoked: list[str] = []
        self.revoked_down = False  # the revocation list answers 503 (the gateway's database is down)
        self.revoked_fetches = 0
        self.jwks_fetches = 0
        self.add_key()

    def add_key(self) -> Any:
        kid = uuid.uuid4().hex[:8]
        key = JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": kid})
        self.keys.append(key)
        return key

    def app(self) -> Starlette:
        async def jwks(_: Request) -> JSONResponse:
            self.jwks_fetches += 1
            return JSONResponse({"keys": [k.as_dict(is_private=False) for k in self.keys]})

        async def revoked(_: Request) -> JSONResponse:
            self.revoked_fetches += 1
            if self.revoked_down:
                return JSONResponse({"status": 503}, status_code=503)
            return JSONResponse({"revoked": self.revoked})

        return Starlette(routes=[Route("/jwks", jwks), Route("/revoked", revoked)])

    def token(self, key: Any = None, *, alg: str = "RS256", **overrides: Any) -> str:
        key = key or self.keys[0]
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": "client-1",
            "aud": "tandem",
            "scope": "matching:read",
            "iat": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
            "client_id": "client-1",
        } | overrides
        header = {"alg": alg, "kid": key.as_dict()["kid"], "typ": "at+jwt"}
        raw: bytes = jwt.encode(header, claims, key)
        return raw.decode()


@pytest.fixture
async def publisher() -> KeyPublisher:
    return KeyPublisher()


@pytest.fixture
async def verifier(publisher: KeyPublisher) -> AsyncIterator[TokenVerifier]:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=publisher.app()), base_url="http://issuer")
    v = TokenVerifier(
        issuer=ISSUER,
        audiences={"matching", "tandem"},
        jwks_url="http://issuer/jwks",
        revocation_list_url="http://issuer/revoked",
        refresh_seconds=30,
        http=http,
    )
    yield v
    await v.aclose()


async def rejected(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(Unauthorized) as info:
        await verifier.verify(token)
    return str(info.value.detail)


async def test_valid_token(verifier: TokenVerifier, publisher: KeyPublisher) -> None:
    principal = await verifier.verify(publisher.token(person_id="p-1", roles=["participant"]))
    assert principal == Principal(
        subject="client-1",
        client_id="client-1",
        scopes=frozenset({"matching:read"}),
        token_id=principal.token_id,
    )
    assert principal.person_id == "p-1"
    assert principal.sees_everything is False


async def test_expired(verifier: TokenVerifier, publisher: KeyPublisher) -> None:
    assert "expired" in await rejected(verifier, publisher.token(exp=int(time.time()) - 60))


async def test_wrong_audience(verifier: TokenVerifier, publisher: KeyPublisher) -> None:
    assert "not meant for this service" in await rejected(verifier, publisher.token(aud="scheduling"))


async def test_wrong_issuer(verifier: TokenVerifier, publisher: KeyPublisher) -> None:
    assert "iss" in await rejected(verifier, publisher.token(iss="https://evil.test"))


async def test_alg_none(verifier: TokenVerifier, publisher: KeyPublisher) -> None:
    good = publisher.token()
    head = base64.urlsafe_b64encode(
        json.dumps({"alg": "none", "kid": publisher.keys[0].as_dict()["kid"]}).encode()
    )
    forged = head.decode().rstrip("=") + "." + good.split(".")[1] + "."
    assert "'none'" in await rejected(verifier, forged)


@pytest.mark.parametrize("header", [b"1", b"[]", b"not json"])
async def test_header_that_is_no_json_object_is_malformed(
    verifier: TokenVerifier, publisher: KeyPublisher, header: bytes
) -> None:
    _, body, sig = publisher.token().split(".")
    head = base64.urlsafe_b64encode(header).decode().rstrip("=")
    assert "malformed" in await rejected(verifier, f"{head}.{body}.{sig}")


async def test_tampered_payload(verifier: TokenVerifier, publisher: KeyPublisher) -> None:
    head, _, sig = publisher.token().split(".")
    body = base64.urlsafe_b64encode(
        json.dumps(
            {
                "iss": ISSUER,
                "sub": "x",
                "aud": "tandem",
                "scope": "admin",
                "exp": int(time.time()) + 60,
                "jti": "j",
            }
        ).encode()
    )
    assert "not valid" in await rejected(verifier, f"{head}.{body.decode().rstrip('=')}.{sig}")


async def test_unknown_kid_refetches_once(verifier: TokenVerifier, publisher: KeyPublisher) -> None:
    await verifier.verify(publisher.token())
    assert publisher.jwks_fetches == 1
    stranger = JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": "stranger"})
    verifier._fetched_at -= 2  # the forced refresh is rate limited to once a second
    assert "unknown key" in await rejected(verifier, publisher.token(stranger))
    assert publisher.jwks_fetches == 2


async def test_rotated_key_is_picked_up(verifier: TokenVerifier, publisher: KeyPublisher) -> None:
    await verifier.verify(publisher.token())
    new_key = publisher.add_key()
    verifier._fetched_at -= 2
    principal = await verifier.verify(publisher.token(new_key))
    assert principal.subject == "client-1"


async def test_revoked_token(verifier: TokenVerifier, publisher: KeyPublisher) -> None:
    token = publisher.token(jti="revoke-me")
    publisher.revoked.append("revoke-me")
    assert "revoked" in await rejected(verifier, token)


async def test_scope_dependency(publisher: KeyPublisher, verifier: TokenVerifier) -> None:
    from typing import Annotated

    from fastapi import Depends

    from tandem_kit.auth import Authenticator
    from tandem_kit.errors import install_problem_handlers

    app = FastAPI()
    install_problem_handlers(app)
    app.state.token_verifier = verifier

    @app.get("/write")
    async def write(
        p: Annotated[Principal, Depends(Authenticator(scopes={"matching:write"}))],
    ) -> dict[str, str]:
        return {"sub": p.subject}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        anonymous = await c.get("/write")
        wrong = await c.get("/write", headers={"Authorization": f"Bearer {publisher.token()}"})
        right = await c.get(
            "/write", headers={"Authorization": f"Bearer {publisher.token(scope='matching:write')}"}
        )
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert wrong.status_code == 403
    assert wrong.json()["missing_scopes"] == ["matching:write"]
    assert 'error="insufficient_scope"' in wrong.headers["www-authenticate"]
    assert right.json() == {"sub": "client-1"}
    assert issubclass(Unauthorized, ProblemError)


async def test_cached_token_is_still_checked_for_revocation(publisher: KeyPublisher) -> None:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=publisher.app()), base_url="http://issuer")
    verifier = TokenVerifier(
        issuer=ISSUER,
        audiences={"tandem"},
        jwks_url="http://issuer/jwks",
        revocation_list_url="http://issuer/revoked",
        refresh_seconds=0,
        http=http,
    )
    token = publisher.token(jti="cached-then-revoked")
    first = await verifier.verify(token)
    second = await verifier.verify(token)
    assert second is first  # served from the cache of verified tokens
    publisher.revoked.append("cached-then-revoked")
    assert "revoked" in await rejected(verifier, token)
    await verifier.aclose()


async def test_cache_entry_lives_until_the_token_expires(
    verifier: TokenVerifier, publisher: KeyPublisher
) -> None:
    exp = int(time.time()) + 120
    token = publisher.token(exp=exp)
    await verifier.verify(token)
    assert verifier._verified[token][0] == exp


async def test_denylist_outage_keeps_the_last_good_list(
    verifier: TokenVerifier, publisher: KeyPublisher
) -> None:
    publisher.revoked.append("revoked-before")
    await verifier.verify(publisher.token())
    publisher.revoked_down = True
    verifier._revoked_at -= 31  # the list is due for a refresh, which fails
    assert (await verifier.verify(publisher.token())).subject == "client-1"
    assert "revoked" in await rejected(verifier, publisher.token(jti="revoked-before"))
    # One failed refresh, then a pause (not one attempt per request against a source that is down).
    assert publisher.revoked_fetches == 2


async def test_denylist_too_stale_refuses_with_503(publisher: KeyPublisher) -> None:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=publisher.app()), base_url="http://issuer")
    verifier = TokenVerifier(
        issuer=ISSUER,
        audiences={"tandem"},
        jwks_url="http://issuer/jwks",
        revocation_list_url="http://issuer/revoked",
        refresh_seconds=30,
        max_stale_seconds=120,
        http=http,
    )
    await verifier.verify(publisher.token())
    publisher.revoked_down = True
    verifier._revoked_at -= 119
    assert (await verifier.verify(publisher.token())).subject == "client-1"
    verifier._revoked_at -= 2
    with pytest.raises(ServiceUnavailable) as info:
        await verifier.verify(publisher.token())
    assert info.value.headers == {"Retry-After": "5"}
    verifier._revoked_retry_at = 0.0
    publisher.revoked_down = False
    assert (await verifier.verify(publisher.token())).subject == "client-1"
    await verifier.aclose()


async def test_denylist_never_loaded_refuses_with_503(publisher: KeyPublisher) -> None:
    publisher.revoked_down = True
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=publisher.app()), base_url="http://issuer")
    verifier = TokenVerifier(
        issuer=ISSUER,
        audiences={"tandem"},
        jwks_url="http://issuer/jwks",
        revocation_list_url="http://issuer/revoked",
        http=http,
    )
    with pytest.raises(ServiceUnavailable):
        await verifier.verify(publisher.token())
    await verifier.aclose()


def test_person_uuid_parsed_once_on_the_principal() -> None:
    person = uuid.uuid4()
    base: dict[str, Any] = {"subject": "c", "client_id": "c", "scopes": frozenset(), "token_id": "t"}
    assert Principal(**base, claims={"person_id": str(person)}).person_uuid == person
    assert Principal(**base).person_uuid is None
    nobody = Principal(**base, claims={"person_id": "42"})
    # A person claim that is no UUID is nobody: no parse error, and never taken for a machine client.
    assert nobody.person_uuid is None
    assert nobody.sees_everything is False
    assert Principal(**base, claims={"person_id": "42", "roles": ["admin"]}).supervises is True
