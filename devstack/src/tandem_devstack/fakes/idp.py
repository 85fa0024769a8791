"""A development stand-in for the enterprise IdP (Okta, Entra ID): people's access tokens for `make run`
and `make demo`, so the person-only routes (a person's calendar connections, signing a working
agreement) can be tried locally. The gateway trusts it through `GATEWAY_USER_TOKEN_ISSUERS`
(docs/gateway.md, "People"), exactly as it trusts a real IdP: RS256 tokens verified against this
server's JWKS at `/keys`.

`POST /_fake/token` `{"person_id", "groups": ["tandem-participants"], "email"?}` answers
`{"access_token", "token_type", "expires_in"}`. Development only: it signs whatever it is asked.
"""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tandem_gateway.testing import FakeIdp

AUDIENCE = "api://tandem"
GROUPS = {
    "tandem-participants": "participant",
    "tandem-coaches": "coach",
    "tandem-mentors": "mentor",
    "tandem-program-managers": "program_manager",
}
_PERSON = ["scheduling:read", "scheduling:write", "calendars:read", "calendars:write"]
SCOPES_BY_ROLE = {
    "participant": ["matching:read", "consent:read", "consent:write", *_PERSON],
    "coach": ["matching:read", *_PERSON],
    "mentor": ["matching:read", *_PERSON],
    "program_manager": [
        "matching:read",
        "matching:write",
        "matching:decide",
        "scheduling:read",
        "consent:read",
        "analytics:read",
        "calendars:read",
    ],
}
TOKEN_SECONDS = 3600


def issuer_setting(url: str) -> dict[str, object]:
    """The gateway's `user_token_issuers` entry for this IdP served at `url`."""
    return {
        "issuer": url,
        "jwks_url": f"{url}/keys",
        "audience": AUDIENCE,
        "role_map": GROUPS,
        "scopes_by_role": SCOPES_BY_ROLE,
    }


class DevIdp:
    def __init__(self, issuer: str) -> None:
        self.idp = FakeIdp(issuer=issuer, audience=AUDIENCE)
        self.app = Starlette(
            routes=[
                Route("/keys", self.keys),
                Route("/_fake/token", self.token, methods=["POST"]),
                Route("/_fake/ready", self.ready),
            ]
        )

    async def keys(self, _request: Request) -> Response:
        return JSONResponse(
            {"keys": [k.as_dict(is_private=False, alg="RS256", use="sig") for k in self.idp.keys]}
        )

    async def token(self, request: Request) -> Response:
        body = await request.json()
        claims = {"email": body["email"]} if body.get("email") else {}
        token = self.idp.token(
            str(body["person_id"]),
            list(body.get("groups", [])),
            sub=str(body.get("sub") or body["person_id"]),
            expires_in=TOKEN_SECONDS,
            **claims,
        )
        return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_SECONDS})

    async def ready(self, _request: Request) -> Response:
        return Response(status_code=204)


def create_app() -> Starlette:
    """`uvicorn tandem_devstack.fakes.idp:create_app --factory`; the issuer is the URL it is served at
    (`TANDEM_DEV_IDP_ISSUER`, set by devstack)."""
    return DevIdp(os.environ.get("TANDEM_DEV_IDP_ISSUER", "http://127.0.0.1:8012")).app
