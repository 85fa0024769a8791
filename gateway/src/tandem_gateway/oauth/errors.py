"""OAuth protocol errors (RFC 6749 section 5.2 bodies, not problem+json), on authlib's error classes."""

from __future__ import annotations

from authlib.oauth2.base import OAuth2Error
from authlib.oauth2.rfc6749.errors import (
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    UnauthorizedClientError,
    UnsupportedGrantTypeError,
    UnsupportedTokenTypeError,
)
from fastapi.responses import JSONResponse

__all__ = [
    "InvalidClientError",
    "InvalidGrantError",
    "InvalidRequestError",
    "InvalidScopeError",
    "InvalidTargetError",
    "OAuth2Error",
    "TooManyAttemptsError",
    "UnauthorizedClientError",
    "UnsupportedGrantTypeError",
    "UnsupportedTokenTypeError",
    "invalid_client",
    "oauth_error_response",
]


class InvalidTargetError(OAuth2Error):  # type: ignore[misc]
    """RFC 8707: the requested resource (audience) is not one Tandem knows."""

    error = "invalid_target"
    status_code = 400


class TooManyAttemptsError(OAuth2Error):  # type: ignore[misc]
    """Too many failed client authentications in the current window."""

    error = "temporarily_unavailable"
    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(description="Too many failed client authentications; retry later.")
        self.retry_after = retry_after

    def get_headers(self) -> list[tuple[str, str]]:
        headers: list[tuple[str, str]] = super().get_headers()
        return [*headers, ("Retry-After", str(self.retry_after))]


def invalid_client(description: str) -> InvalidClientError:
    # 401 whatever the authentication method, so clients always learn the scheme (Basic) to use.
    return InvalidClientError(description=description, status_code=401)


def oauth_error_response(error: OAuth2Error) -> JSONResponse:
    body = dict(error.get_body())
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    if isinstance(error, InvalidClientError):
        headers["WWW-Authenticate"] = f'Basic realm="tandem", error="{error.error}"'
    return JSONResponse(body, status_code=int(error.status_code), headers=headers)
