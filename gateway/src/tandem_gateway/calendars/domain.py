"""Pure calendar rules: busy intervals merged and clipped, event ids, the window a notification covers."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

MAX_WINDOW = timedelta(days=62)


class CalendarStatus(StrEnum):
    VERIFIED = "verified"  # the calendar was read
    UNKNOWN = "unknown"  # connected, but could not be read now: not free
    UNVERIFIED = "unverified"  # no calendar connected: working hours only


class Reason(StrEnum):
    NOT_CONNECTED = "not_connected"
    NEEDS_REAUTH = "needs_reauth"
    PROVIDER_ERROR = "provider_error"
    TIMEOUT = "timeout"


class Provider(StrEnum):
    GOOGLE = "google"
    MICROSOFT = "microsoft"


@dataclass(frozen=True, order=True)
class Interval:
    start: datetime
    end: datetime


def utc(moment: datetime) -> datetime:
    """A naive time is taken as UTC (providers answer in UTC when asked to); aware ones are converted."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def merge_clipped(intervals: Iterable[Interval], start: datetime, end: datetime) -> list[Interval]:
    """Busy intervals in UTC, clipped to [start, end), sorted, overlapping or touching ones merged,
    empty ones dropped."""
    start, end = utc(start), utc(end)
    clipped = sorted(
        Interval(max(utc(i.start), start), min(utc(i.end), end))
        for i in intervals
        if utc(i.end) > start and utc(i.start) < end and utc(i.end) > utc(i.start)
    )
    merged: list[Interval] = []
    for current in clipped:
        if merged and current.start <= merged[-1].end:
            if current.end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, current.end)
        else:
            merged.append(current)
    return merged


def covers(cached: Interval, wanted: Interval) -> bool:
    return cached.start <= wanted.start and wanted.end <= cached.end


def google_event_id(session_id: uuid.UUID) -> str:
    """Google's event `id` for a session: base32hex (RFC 4648 §7) of its 16 bytes, lower case, no
    padding: 26 characters of [0-9a-v], which Google accepts as a client-chosen id, so a retried insert
    answers 409 instead of making a second event."""
    return base64.b32hexencode(session_id.bytes).decode().rstrip("=").lower()


def session_of_google_event_id(event_id: str) -> uuid.UUID:
    padded = event_id.upper() + "=" * (-len(event_id) % 8)
    return uuid.UUID(bytes=base64.b32hexdecode(padded))


def sessions_window(sessions: Sequence[Interval], now: datetime) -> Interval | None:
    """The window a change notification is checked over: from the first to the last booked session
    still ahead (at most `MAX_WINDOW` long); None when the person has nothing booked ahead."""
    ahead = [s for s in sessions if s.end > now]
    if not ahead:
        return None
    start = min(s.start for s in ahead)
    end = min(max(s.end for s in ahead), start + MAX_WINDOW)
    return Interval(start, end)
