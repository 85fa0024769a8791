"""Who may manage HRIS connectors: an admin client."""

from typing import Annotated

from fastapi import Depends

from tandem_kit.auth import Authenticator, Principal

HrisAdmin = Annotated[Principal, Depends(Authenticator(scopes={"admin"}))]
