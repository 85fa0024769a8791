"""Which busy intervals of a calendar collide with a person's booked sessions. Pure."""

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID


class Booked(Protocol):
    @property
    def session_id(self) -> UUID: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...


def conflicts(
    busy: Sequence[tuple[datetime, datetime]],
    own: Sequence[Booked],
    *,
    now: datetime,
) -> list[tuple[UUID, datetime, datetime]]:
    """(session id, busy start, busy end) for every session of `own` not yet started that a busy interval
    overlaps. A busy interval exactly equal to one of the person's own sessions is that session's own
    event (the gateway writes booked sessions into both calendars) and never a conflict."""
    own_times = {(s.starts_at, s.ends_at) for s in own}
    found: list[tuple[UUID, datetime, datetime]] = []
    for start, end in busy:
        if (start, end) in own_times:
            continue
        found.extend(
            (s.session_id, start, end)
            for s in own
            if s.starts_at > now and start < s.ends_at and s.starts_at < end
        )
    return found
