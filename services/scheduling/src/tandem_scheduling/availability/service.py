from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.errors import Unprocessable
from tandem_scheduling.availability import domain, repository
from tandem_scheduling.availability.schemas import PartyCalendar, Role, Slot, SlotSearch
from tandem_scheduling.engagement import domain as engagement_domain
from tandem_scheduling.engagement import service as engagement_service
from tandem_scheduling.gateway_client.calendars import CalendarGateway, PersonCalendar
from tandem_scheduling.sla import repository as sla_repository

MAX_WINDOW = timedelta(days=62)
DEFAULT_WINDOW = timedelta(days=14)


class InvalidSlotQuery(Unprocessable):
    """The window must end after it starts and after now and span at most 62 days; duration and
    step must be multiples of 15 minutes."""

    code, title = "invalid-slot-query", "Invalid slot query"


async def find_slots(
    session: AsyncSession,
    principal: Principal,
    engagement_id: UUID,
    *,
    calendars: CalendarGateway,
    start: datetime | None = None,
    end: datetime | None = None,
    duration_minutes: int | None = None,
    kind: str = "kickoff",
    step_minutes: int = 30,
    limit: int = 50,
    now: datetime | None = None,
) -> SlotSearch:
    """Free times for both people; by default from now until the kickoff is due (or two weeks)."""
    engagement = await engagement_service.get_engagement(session, principal, engagement_id)
    now = now or datetime.now(UTC)
    start = max(start, now) if start is not None else now
    if end is None:
        clocks = await sla_repository.list_for_engagement(session, engagement.id)
        due = [c.due_at for c in clocks if c.kind == "kickoff_held" and c.met_at is None and c.due_at > start]
        end = due[0] if due else start + DEFAULT_WINDOW
    if end <= start:
        raise InvalidSlotQuery("The window must end after it starts (and after now).", parameter="to")
    if end - start > MAX_WINDOW:
        raise InvalidSlotQuery(f"The window may span at most {MAX_WINDOW.days} days.", parameter="to")
    minutes = duration_minutes or engagement_domain.default_minutes(engagement, kind)
    if minutes % 15:
        raise InvalidSlotQuery("duration must be a multiple of 15 minutes.", parameter="duration")
    if step_minutes % 15:
        raise InvalidSlotQuery("step must be a multiple of 15 minutes.", parameter="step")
    parties: list[tuple[Role, UUID]] = [
        ("participant", engagement.participant_id),
        ("provider", engagement.provider_person_id),
    ]
    busy = await repository.busy_ranges(session, [p for _, p in parties], start, end)
    answer = await calendars.free_busy(session, [p for _, p in parties], start, end)
    # Busy times of a verified calendar are taken out exactly like sessions are.
    external = [b for _, p in parties for b in answer[p].busy]
    found = domain.find_slots(
        [who for _, who in domain.people_of(engagement)],
        [domain.Interval(b0, b1) for b0, b1 in [*busy, *external]],
        window=domain.Interval(start, end),
        duration=timedelta(minutes=minutes),
        step=timedelta(minutes=step_minutes),
        limit=limit,
    )
    status = {role: answer[p].calendar for role, p in parties}
    return SlotSearch(
        engagement_id=engagement.id,
        window_start=start,
        window_end=end,
        duration_minutes=minutes,
        calendars=[party_calendar(role, answer[p]) for role, p in parties],
        slots=[
            Slot(
                starts_at=s.start,
                ends_at=s.end,
                participant_calendar=status["participant"],
                provider_calendar=status["provider"],
                needs_accept_unverified="unknown" in status.values(),
            )
            for s in found
        ],
    )


DETAILS = {
    "verified": "Calendar read: its busy times are left out of the slots.",
    "unknown": (
        "A calendar is connected but could not be read now: the slots may collide with it; booking "
        "one needs accept_unverified."
    ),
    "unverified": "No calendar connected: working hours and booked sessions only.",
}


def party_calendar(role: Role, found: PersonCalendar) -> PartyCalendar:
    return PartyCalendar(
        role=role,
        calendar=found.calendar,
        provider=found.provider,
        reason=found.reason,
        detail=DETAILS[found.calendar],
    )
