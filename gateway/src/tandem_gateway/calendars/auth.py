from typing import Annotated

from fastapi import Depends, Request

from tandem_gateway.calendars.runtime import Calendars
from tandem_kit.auth import Authenticator, Principal

CalendarsFreeBusy = Annotated[Principal, Depends(Authenticator(scopes={"calendars:freebusy"}))]


def _calendars(request: Request) -> Calendars:
    calendars: Calendars = request.app.state.calendars
    return calendars


CalendarsDep = Annotated[Calendars, Depends(_calendars)]
