"""The channel keeper: renews watch channels and Graph subscriptions before they expire, and opens
the ones a connection is missing (its channel could not be made when it connected)."""

from __future__ import annotations

from typing import Any

from tandem_gateway.calendars import notifications
from tandem_gateway.calendars.runtime import Calendars
from tandem_kit.tasks import repeat


async def keep_channels(app: Any) -> None:
    calendars: Calendars = app.state.calendars
    await repeat(
        lambda: notifications.renew_due(calendars),
        calendars.settings.renew_every_seconds,
        failure_event="calendars.channels.round_failed",
    )
