from typing import Annotated

from fastapi import Depends
from tandem_kit.auth import Authenticator, Principal

ConsentRead = Annotated[Principal, Depends(Authenticator(scopes={"consent:read"}))]
ConsentWrite = Annotated[Principal, Depends(Authenticator(scopes={"consent:write"}))]
