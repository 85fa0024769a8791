from typing import Annotated

from fastapi import Depends, Request

from tandem_scheduling.gateway_client.calendars import CalendarGateway


def get_calendars(request: Request) -> CalendarGateway:
    calendars: CalendarGateway = request.app.state.calendars
    return calendars


CalendarsDep = Annotated[CalendarGateway, Depends(get_calendars)]
