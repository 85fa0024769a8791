from typing import Annotated

from fastapi import Depends

from tandem_kit.auth import Authenticator, Principal

AnalyticsAdmin = Annotated[Principal, Depends(Authenticator(scopes={"admin"}))]
