from typing import Annotated

from fastapi import Depends

from tandem_kit.auth import Authenticator, Principal

SchedulingRead = Annotated[Principal, Depends(Authenticator(scopes={"scheduling:read"}))]
SchedulingWrite = Annotated[Principal, Depends(Authenticator(scopes={"scheduling:write"}))]
