"""Scope aliases shared by every matching module, and who may decide or act for someone else."""

from typing import Annotated

from fastapi import Depends

from tandem_kit.auth import Authenticator, Principal
from tandem_kit.errors import Forbidden

MatchingRead = Annotated[Principal, Depends(Authenticator(scopes={"matching:read"}))]
# Data: intakes and provider profiles (what an HRIS or LMS integration writes).
MatchingWrite = Annotated[Principal, Depends(Authenticator(scopes={"matching:write"}))]
# Program decisions: programs, weights, cohorts, proposals, approvals, overrides, reassignment, ending.
MatchingDecide = Annotated[Principal, Depends(Authenticator(scopes={"matching:decide"}))]


class ProgramManagerRequired(Forbidden):
    code, title = "program-manager-required", "Program manager required"


def require_manager(principal: Principal) -> None:
    """Program decisions need `matching:decide`, and a person also needs the program-manager (or
    admin) role: a party never decides, and a data-writing integration (`matching:write`) never does."""
    allowed = principal.has("matching:decide") and (principal.person_id is None or principal.supervises)
    if not allowed:
        raise ProgramManagerRequired("Only a program manager may do this.")


def require_program_staff(principal: Principal) -> None:
    """Someone else's data (their intake, a provider profile) or program-wide records (the decision
    log): a program manager, or a machine client, whose route scope says which: `matching:read` to
    read, `matching:write` to write data (never to decide)."""
    if not principal.sees_everything:
        raise ProgramManagerRequired("Only a program manager may do this for someone else.")


def actor(principal: Principal) -> str:
    """Who to record in the audit trail: the person when a person acts, else the client."""
    return f"person:{principal.person_id}" if principal.person_id else f"client:{principal.client_id}"
