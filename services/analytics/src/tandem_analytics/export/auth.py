from typing import Annotated

from fastapi import Depends

from tandem_kit.auth import Authenticator, Principal

AnalyticsExport = Annotated[Principal, Depends(Authenticator(scopes={"analytics:export"}))]
