"""An in-process signal after each attendance mark, so modules above the ledger (the SLA clocks:
"kickoff held", "checkpoint held") react in the same transaction without the ledger importing them.

A module registers an async callback once at import time (`register(on_kickoff_held)`); `recorded`
awaits each in order. A callback that raises rolls the mark back with it.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_scheduling.attendance.domain import AttendancePolicy
from tandem_scheduling.models import Session

OnRecorded = Callable[[AsyncSession, UUID, Session, str, datetime, AttendancePolicy], Awaitable[None]]

_callbacks: list[OnRecorded] = []


def register(callback: OnRecorded) -> OnRecorded:
    """Call `callback(session, engagement_id, session_row, outcome, at, policy)` after every new mark (a
    first mark, a correction, a vendor's report taken as the mark); never for a repeated mark. `policy`
    is the one the ledger counted with (the settings'), so both sides agree on the minimum. Usable as a
    decorator; registering the same callback twice keeps one."""
    if callback not in _callbacks:
        _callbacks.append(callback)
    return callback


async def on_recorded(
    session: AsyncSession,
    engagement_id: UUID,
    session_row: Session,
    outcome: str,
    at: datetime,
    policy: AttendancePolicy,
) -> None:
    for callback in list(_callbacks):
        await callback(session, engagement_id, session_row, outcome, at, policy)
