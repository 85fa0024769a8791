"""Auth aliases used by more than one analytics module."""

from typing import Annotated

from fastapi import Depends

from tandem_kit.auth import Authenticator, Principal

AnalyticsRead = Annotated[Principal, Depends(Authenticator(scopes={"analytics:read"}))]
AnalyticsWrite = Annotated[Principal, Depends(Authenticator(scopes={"analytics:write"}))]
