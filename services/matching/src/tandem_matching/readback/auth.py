from typing import Annotated

from fastapi import Depends

from tandem_kit.auth import Authenticator, Principal

# The HRIS reading program participation back (machine client; a person also needs a manager role).
HrisRead = Annotated[Principal, Depends(Authenticator(scopes={"hris:read"}))]
