"""The consent service's permissions, one `Annotated` principal per permission."""

from typing import Annotated

from fastapi import Depends

from tandem_kit.auth import Authenticator, Principal

ConsentRead = Annotated[Principal, Depends(Authenticator(scopes={"consent:read"}))]
ConsentWrite = Annotated[Principal, Depends(Authenticator(scopes={"consent:write"}))]
# A service's receipt for a data-subject request: the only consent scope a service's own client holds.
ConsentReceipt = Annotated[Principal, Depends(Authenticator(scopes={"consent:receipt"}))]
# Purposes, the data inventory, retention and anonymity rules are privacy configuration: people
# hold `consent:write` to record their own consent, so configuration also needs `admin`.
ConsentAdmin = Annotated[Principal, Depends(Authenticator(scopes={"consent:write", "admin"}))]
