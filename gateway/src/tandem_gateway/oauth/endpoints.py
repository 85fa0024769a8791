"""OAuth 2.0 protocol endpoints and discovery, at the root (not under /api/v1)."""

from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from tandem_gateway.oauth import service
from tandem_gateway.oauth.auth import KeyStoreDep, SettingsDep, UserTokensDep, VerifierDep
from tandem_gateway.oauth.domain import ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE, SCOPES, TOKEN_EXCHANGE_GRANT
from tandem_gateway.oauth.errors import InvalidRequestError, OAuth2Error, oauth_error_response
from tandem_gateway.oauth.schemas import Introspection, OAuthError, RevokedList, TokenResponse
from tandem_kit.db import SessionDep
from tandem_kit.fields import has_nul

router = APIRouter(tags=["oauth"])

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


def _form_body(**fields: str) -> dict[str, Any]:
    properties = {name: {"type": "string", "description": text} for name, text in fields.items()}
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": properties}}
            },
        }
    }


def _oauth_errors(bad_request: str) -> dict[int | str, dict[str, Any]]:
    """RFC 6749 error answers of an endpoint that authenticates its client."""
    return {
        400: {"model": OAuthError, "description": bad_request},
        401: {
            "model": OAuthError,
            "description": "`invalid_client`: client authentication failed (HTTP Basic or client_secret_post).",
            "headers": {
                "WWW-Authenticate": {"description": '`Basic realm="tandem"`.', "schema": {"type": "string"}}
            },
        },
        429: {
            "model": OAuthError,
            "description": "`temporarily_unavailable`: too many failed client authentications from this client.",
            "headers": {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
        },
    }


async def read_form(request: Request) -> dict[str, list[str]]:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        raise InvalidRequestError(description="The body must be application/x-www-form-urlencoded.")
    try:
        form = parse_qs((await request.body()).decode(), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as exc:
        raise InvalidRequestError(description="The body is not valid UTF-8.") from exc
    for name, values in form.items():
        if has_nul(name) or has_nul(values):
            raise InvalidRequestError(description=f"The parameter {name!r} must not contain NUL (%00).")
    return form


def client_source(request: Request) -> str:
    """Where the request comes from: the peer address (behind a proxy, uvicorn's --proxy-headers sets
    it from X-Forwarded-For for the proxies in --forwarded-allow-ips)."""
    return request.client.host if request.client is not None else "unknown"


CLIENT_FIELDS = {
    "client_id": "client_secret_post only (otherwise HTTP Basic).",
    "client_secret": "client_secret_post only (otherwise HTTP Basic).",
}


@router.post(
    "/oauth/token",
    response_model=TokenResponse,
    responses=_oauth_errors(
        "`invalid_request` (not a form, a parameter missing or repeated), `unsupported_grant_type`, "
        "`invalid_scope` (a scope the client may not have), `invalid_target` (unknown `resource`), "
        "`invalid_grant` (subject token refused) or `unauthorized_client` (grant not allowed)."
    ),
    openapi_extra=_form_body(
        grant_type=f"`client_credentials`, or `{TOKEN_EXCHANGE_GRANT}` when user-token issuers are set.",
        scope="Space-separated scopes; all the client's scopes when omitted (client credentials only).",
        resource="Audience: `tandem` (default) or one service name (RFC 8707; client credentials only).",
        subject_token="Token exchange: the user's access token from a trusted IdP (a JWT).",
        subject_token_type=f"Token exchange: `{JWT_TOKEN_TYPE}` (or `{ACCESS_TOKEN_TYPE}`).",
        **CLIENT_FIELDS,
    ),
)
async def issue_token(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    keystore: KeyStoreDep,
    user_tokens: UserTokensDep,
) -> JSONResponse:
    """Issue an access token (client credentials, or token exchange for a person: RFC 8693)."""
    try:
        form = await read_form(request)
        credentials = service.presented_credentials(request.headers.get("authorization"), form)
        client = await service.authenticate_client(
            session, settings, credentials, source=client_source(request)
        )
        token = await service.issue_token(
            client, form=form, keystore=keystore, settings=settings, user_tokens=user_tokens
        )
    except OAuth2Error as error:
        return oauth_error_response(error)
    return JSONResponse(token.model_dump(exclude_none=True), headers=NO_STORE)


@router.post(
    "/oauth/revoke",
    responses=_oauth_errors(
        "`invalid_request` (not a form, or no `token` parameter) or `unauthorized_client` (the token "
        "was issued to another client)."
    ),
    openapi_extra=_form_body(token="The access token to revoke.", **CLIENT_FIELDS),
)
async def revoke_token(
    request: Request, session: SessionDep, settings: SettingsDep, verifier: VerifierDep
) -> JSONResponse:
    """Revoke an access token (RFC 7009)."""
    try:
        form = await read_form(request)
        credentials = service.presented_credentials(request.headers.get("authorization"), form)
        client = await service.authenticate_client(
            session, settings, credentials, source=client_source(request)
        )
        await service.revoke_token(session, client, form=form, verifier=verifier)
    except OAuth2Error as error:
        return oauth_error_response(error)
    return JSONResponse({}, headers=NO_STORE)


@router.post(
    "/oauth/introspect",
    response_model=Introspection,
    responses=_oauth_errors("`invalid_request`: not a form, or the `token` parameter is missing."),
    openapi_extra=_form_body(token="The access token to describe.", **CLIENT_FIELDS),
)
async def introspect_token(
    request: Request, session: SessionDep, settings: SettingsDep, verifier: VerifierDep
) -> JSONResponse:
    """Describe an access token (RFC 7662)."""
    try:
        form = await read_form(request)
        credentials = service.presented_credentials(request.headers.get("authorization"), form)
        # Any authenticated client may introspect (RFC 7662); who it is does not change the answer.
        await service.authenticate_client(session, settings, credentials, source=client_source(request))
        result = await service.introspect_token(session, form=form, verifier=verifier)
    except OAuth2Error as error:
        return oauth_error_response(error)
    return JSONResponse(result.model_dump(exclude_none=True), headers=NO_STORE)


@router.get("/oauth/revoked", response_model=RevokedList)
async def list_revoked_tokens(session: SessionDep) -> RevokedList:
    """Ids of revoked tokens that have not expired (the denylist every service polls)."""
    return RevokedList(revoked=await service.revoked_ids(session))


@router.get("/.well-known/jwks.json")
async def get_jwks(keystore: KeyStoreDep) -> JSONResponse:
    """The public keys that sign access tokens, including the next key and retired ones still needed."""
    await keystore.refresh()
    return JSONResponse(keystore.jwks(), headers={"Cache-Control": "public, max-age=15"})


@router.get("/.well-known/oauth-authorization-server")
async def get_metadata(settings: SettingsDep, user_tokens: UserTokensDep) -> dict[str, Any]:
    """Authorization server metadata (RFC 8414)."""
    base = settings.issuer.rstrip("/")
    return {
        "issuer": settings.issuer,
        "token_endpoint": f"{base}/oauth/token",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "introspection_endpoint": f"{base}/oauth/introspect",
        "scopes_supported": list(SCOPES),
        "response_types_supported": [],
        "grant_types_supported": [
            "client_credentials",
            *([TOKEN_EXCHANGE_GRANT] if user_tokens.enabled else []),
        ],
        "token_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "introspection_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "access_token_signing_alg_values_supported": ["ES256"],
    }
