"""The gateway's free/busy API (docs/contracts.md): both parties' busy intervals and whether they are known.

Unknown is not free: a gateway that cannot be reached, answers an error or is slower than the time
budget makes every party `unknown`, never an error of scheduling's own.
"""

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

import httpx
import structlog
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.oauth_client import ServiceClient
from tandem_scheduling.gateway_client import links

log = structlog.get_logger("tandem.scheduling.calendars")

FREE_BUSY_PATH = "/api/v1/calendars/free-busy"
CalendarStatus = Literal["verified", "unknown", "unverified"]
CalendarProvider = Literal["google", "microsoft"]
# The gateway's reasons, plus scheduling's own when the gateway itself gave no answer.
GATEWAY_UNAVAILABLE = "gateway_unavailable"


@dataclass(frozen=True)
class PersonCalendar:
    """One person's calendar over a window: its status, and busy intervals (UTC) when `verified`."""

    person_id: UUID
    calendar: CalendarStatus
    provider: CalendarProvider | None
    reason: str | None
    busy: tuple[tuple[datetime, datetime], ...] = ()


class _Busy(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    start: datetime
    end: datetime


class _Person(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    person_id: UUID
    calendar: CalendarStatus
    provider: CalendarProvider | None = None
    reason: str | None = None
    busy: list[_Busy] = []


class _FreeBusy(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    people: list[_Person]


class CalendarGateway:
    """Asks the gateway for busy intervals within `budget` seconds (longer than the gateway's own read
    timeout, so its `unknown: timeout` answer arrives rather than ours). After the gateway could not be
    reached at all it is not asked again for `cooldown` seconds (every party `unknown` meanwhile), so a
    gateway that is down costs one connection attempt, not one per request; a slow or erring answer
    makes only that request's parties `unknown`."""

    def __init__(
        self,
        client: ServiceClient,
        *,
        budget: float = 3.0,
        cooldown: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.budget = budget
        self.cooldown = cooldown
        self.clock = clock
        self._down_until = 0.0

    async def free_busy(
        self, session: AsyncSession, person_ids: Sequence[UUID], start: datetime, end: datetime
    ) -> dict[UUID, PersonCalendar]:
        """Each person's calendar over [start, end); only people with a calendar connected (`links`)
        are asked about, the others are `unverified` at once."""
        wanted = list(dict.fromkeys(person_ids))
        connected = await links.connected_people(session, wanted)
        answers = {
            p: PersonCalendar(p, "unverified", None, "not_connected") for p in wanted if p not in connected
        }
        if connected:
            answers |= await self._ask([p for p in wanted if p in connected], start, end)
        return answers

    async def _ask(self, people: list[UUID], start: datetime, end: datetime) -> dict[UUID, PersonCalendar]:
        if self.clock() < self._down_until:
            return unknown(people, GATEWAY_UNAVAILABLE)
        try:
            async with asyncio.timeout(self.budget):
                resp = await self.client.request(
                    "POST",
                    FREE_BUSY_PATH,
                    json={
                        "person_ids": [str(p) for p in people],
                        "start": start.isoformat(),
                        "end": end.isoformat(),
                    },
                )
            if resp.status_code != 200:
                raise _Unanswered(f"status {resp.status_code}")
            answer = _FreeBusy.model_validate_json(resp.content)
        except Exception as exc:
            # Whatever failed (token, network, status, answer): unknown is not free, and not our 5xx.
            log.warning("scheduling.calendars.unavailable", error_type=type(exc).__name__)
            if isinstance(exc, httpx.ConnectError):
                self._down_until = self.clock() + self.cooldown
            return unknown(people, GATEWAY_UNAVAILABLE)
        found = {
            p.person_id: PersonCalendar(
                person_id=p.person_id,
                calendar=p.calendar,
                provider=p.provider,
                reason=p.reason,
                busy=tuple((b.start, b.end) for b in p.busy) if p.calendar == "verified" else (),
            )
            for p in answer.people
        }
        # Someone the gateway did not answer for is not free either.
        return {p: found.get(p) or PersonCalendar(p, "unknown", None, GATEWAY_UNAVAILABLE) for p in people}

    async def aclose(self) -> None:
        await self.client.aclose()


class _Unanswered(Exception):
    pass


def unknown(person_ids: Sequence[UUID], reason: str) -> dict[UUID, PersonCalendar]:
    return {p: PersonCalendar(p, "unknown", None, reason) for p in person_ids}
