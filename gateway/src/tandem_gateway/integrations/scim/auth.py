"""Who may call /scim/v2: a client-credentials token with `scim:provision`, or a provisioning token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials

from tandem_gateway.integrations.scim import tokens
from tandem_kit.auth import Authenticator, Principal, bearer_scheme
from tandem_kit.db import SessionDep
from tandem_kit.errors import Unauthorized

SCOPE = "scim:provision"
_oauth = Authenticator(scopes={SCOPE})


async def provisioner(
    request: Request,
    session: SessionDep,
    credentials: HTTPAuthorizationCredentials | None = Security(bearer_scheme),
) -> str:
    """The caller's name for the directory's history: `client:<client_id>` or `scim-token:<client name>`."""
    if (
        credentials is not None
        and credentials.scheme.lower() == "bearer"
        and tokens.looks_like(credentials.credentials)
    ):
        row = await tokens.authenticate(session, credentials.credentials)
        return f"scim-token:{row.client_name}"
    if credentials is None:
        raise Unauthorized("This endpoint needs a bearer token.", headers={"WWW-Authenticate": "Bearer"})
    principal: Principal = await _oauth(request, credentials)
    return f"client:{principal.client_id}"


Provisioner = Annotated[str, Depends(provisioner)]
