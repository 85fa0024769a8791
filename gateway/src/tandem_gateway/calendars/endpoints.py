"""Calendars API: free/busy for scheduling (scope `calendars:freebusy`), and the public webhooks the
providers notify (no token: the channel token / clientState is the check, see notifications.py)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response, status
from fastapi.responses import PlainTextResponse

from tandem_gateway.calendars import notifications, service
from tandem_gateway.calendars.auth import CalendarsDep, CalendarsFreeBusy
from tandem_gateway.calendars.notifications import ChannelTokenMismatch, UnknownChannel
from tandem_gateway.calendars.schemas import FreeBusy, FreeBusyQuery, GraphNotifications
from tandem_kit.db import SessionDep
from tandem_kit.fields import Text
from tandem_kit.openapi import problems

router = APIRouter(prefix="/api/v1/calendars", tags=["calendars"])

ValidationToken = Annotated[
    Text | None,
    Query(alias="validationToken", max_length=1024, description="Graph's handshake token, echoed back."),
]
ECHO: dict[int | str, dict[str, Any]] = {
    200: {"description": "The validation handshake: `validationToken` echoed.", "content": {"text/plain": {}}}
}


@router.post("/free-busy", response_model=FreeBusy)
async def query_free_busy(
    data: FreeBusyQuery, _principal: CalendarsFreeBusy, session: SessionDep, calendars: CalendarsDep
) -> FreeBusy:
    """Busy intervals per person over a window, with whether each calendar could be read."""
    return await service.free_busy(session, calendars, data)


@router.post(
    "/notifications/google",
    status_code=status.HTTP_200_OK,
    response_class=Response,
    responses=problems(UnknownChannel, ChannelTokenMismatch),
)
async def receive_google_notification(
    session: SessionDep,
    calendars: CalendarsDep,
    channel_id: Annotated[UUID, Header(alias="X-Goog-Channel-ID", description="The watch channel.")],
    resource_state: Annotated[
        str, Header(alias="X-Goog-Resource-State", max_length=32, description="sync, exists or not_exists.")
    ],
    channel_token: Annotated[
        str | None, Header(alias="X-Goog-Channel-Token", max_length=256, description="The channel's secret.")
    ] = None,
) -> Response:
    """A Google Calendar watch-channel notification (public; the channel token is checked)."""
    await notifications.on_google(
        session, calendars, channel_id=channel_id, channel_token=channel_token, state=resource_state
    )
    return Response(status_code=status.HTTP_200_OK)


@router.post(
    "/notifications/microsoft",
    status_code=status.HTTP_202_ACCEPTED,
    response_class=Response,
    responses={**ECHO, **problems(ChannelTokenMismatch)},
)
async def receive_graph_notification(
    session: SessionDep,
    calendars: CalendarsDep,
    validation_token: ValidationToken = None,
    data: GraphNotifications | None = None,
) -> Response:
    """Microsoft Graph change notifications, or the subscription's validation handshake (public; the
    clientState is checked)."""
    if validation_token is not None:
        return PlainTextResponse(validation_token)
    if data is None or not await notifications.on_graph(session, calendars, data.value):
        raise ChannelTokenMismatch("No notification with a known subscription and its clientState.")
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.post(
    "/notifications/microsoft/lifecycle",
    status_code=status.HTTP_202_ACCEPTED,
    response_class=Response,
    responses={**ECHO, **problems(ChannelTokenMismatch)},
)
async def receive_graph_lifecycle_notification(
    session: SessionDep,
    calendars: CalendarsDep,
    validation_token: ValidationToken = None,
    data: GraphNotifications | None = None,
) -> Response:
    """Microsoft Graph lifecycle notifications (reauthorizationRequired, subscriptionRemoved, missed),
    or the validation handshake (public; the clientState is checked)."""
    if validation_token is not None:
        return PlainTextResponse(validation_token)
    if data is None or not await notifications.on_graph_lifecycle(session, calendars, data.value):
        raise ChannelTokenMismatch("No notification with a known subscription and its clientState.")
    return Response(status_code=status.HTTP_202_ACCEPTED)
