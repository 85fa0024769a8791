"""Scope aliases shared by every matching module, and the program-manager rule for decisions."""

from typing import Annotated

from fastapi import Depends

from tandem_kit.auth import Authenticator, Principal
from tandem_kit.errors import Forbidden

MatchingRead = Annotated[Principal, Depends(Authenticator(scopes={"matching:read"}))]
MatchingWrite = Annotated[Principal, Depends(Authenticator(scopes={"matching:write"}))]


class ProgramManagerRequired(Forbidden):
    code, title = "program-manager-required", "Program manager required"


def require_manager(principal: Principal) -> None:
    """Program decisions are taken by program managers, admins or machine clients, never by a party."""
    if not principal.sees_everything:
        raise ProgramManagerRequired("Only a program manager may do this.")


def actor(principal: Principal) -> str:
    """Who to record in the audit trail: the person when a person acts, else the client."""
    return f"person:{principal.person_id}" if principal.person_id else f"client:{principal.client_id}"
