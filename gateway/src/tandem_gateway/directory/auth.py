"""Who may read the directory's facts: machine clients with `directory:read` (the services)."""

from typing import Annotated

from fastapi import Depends

from tandem_kit.auth import Authenticator, Principal

DirectoryRead = Annotated[Principal, Depends(Authenticator(scopes={"directory:read"}))]
