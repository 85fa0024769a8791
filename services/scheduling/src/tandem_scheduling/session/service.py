from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from uuid import UUID

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.db import EXCLUSION_VIOLATION, UNIQUE_VIOLATION, sqlstate
from tandem_kit.errors import Conflict, NotFound, Unprocessable
from tandem_kit.events import emit
from tandem_kit.pagination import PageParams
from tandem_scheduling.agreement import service as agreement_service
from tandem_scheduling.availability import domain as slots
from tandem_scheduling.engagement import domain as engagement_domain
from tandem_scheduling.engagement import service as engagement_service
from tandem_scheduling.events import CancelCode, SessionBooked, SessionCancelled
from tandem_scheduling.gateway_client.calendars import CalendarGateway
from tandem_scheduling.models import Engagement, Session
from tandem_scheduling.people import repository as people_repository
from tandem_scheduling.session import ics, repository
from tandem_scheduling.session.schemas import SessionCancel, SessionCreate
from tandem_scheduling.sla import service as sla_service

log = structlog.get_logger("tandem.scheduling.session")


class SessionNotFound(NotFound):
    code, title = "session-not-found", "Session not found"


class SlotTaken(Conflict):
    code, title = "slot-taken", "Time already booked"


class KickoffAlreadyBooked(Conflict):
    code, title = "kickoff-already-booked", "Kickoff already booked"


class SessionAlreadyCancelled(Conflict):
    code, title = "session-already-cancelled", "Session already cancelled"


class CalendarBusy(Conflict):
    """A party's calendar has another meeting at that time (checked with the gateway at booking)."""

    code, title = "calendar-busy", "Calendar busy at that time"


class CalendarUnverified(Conflict):
    """A party's calendar is connected but could not be read: book only with `accept_unverified`."""

    code, title = "calendar-unverified", "Calendar could not be checked"


class EngagementNotActive(Conflict):
    code, title = "engagement-not-active", "Engagement not active"


class PersonDeactivated(Conflict):
    """The HRIS deactivated the participant or the provider: nobody books a session with them."""

    code, title = "person-deactivated", "Person deactivated"


class OutsideWorkingHours(Unprocessable):
    """The session falls outside the participant's or the provider's working hours (in their time
    zone)."""

    code, title = "outside-working-hours", "Outside working hours"


class InvalidSessionTime(Unprocessable):
    """Sessions start on a whole minute and in the future."""

    code, title = "invalid-session-time", "Invalid session time"


async def page_sessions(
    session: AsyncSession, principal: Principal, engagement_id: UUID, *, page: PageParams
) -> tuple[Sequence[Session], int]:
    """One page of a readable engagement's sessions (earliest first) and their total."""
    engagement = await engagement_service.get_engagement(session, principal, engagement_id)
    return await repository.page_for_engagement(session, engagement.id, page)


async def export_calendar(
    session: AsyncSession, principal: Principal, engagement_id: UUID, *, now: datetime
) -> tuple[str, str]:
    """The engagement's sessions as RFC 5545 text, and a file name for it."""
    engagement = await engagement_service.get_engagement(session, principal, engagement_id)
    sessions = await repository.list_for_engagements(session, [engagement.id])
    return ics.calendar(engagement, sessions, now=now), f"engagement-{engagement.id}.ics"


async def book_session(
    session: AsyncSession,
    principal: Principal,
    engagement_id: UUID,
    data: SessionCreate,
    *,
    calendars: CalendarGateway | None,
    now: datetime | None = None,
) -> Session:
    """Book a session inside both people's working hours and clear of their calendars (`calendars`
    None: recorded after the fact, no calendar to check); the database refuses any double booking."""
    now = now or datetime.now(UTC)
    # Shared lock: bookings run side by side, but an engagement being ended waits for them (and they
    # for it), so no session is booked into an engagement that has just ended.
    engagement = await engagement_service.get_engagement(session, principal, engagement_id, for_share=True)
    if engagement.status != "active":
        raise EngagementNotActive(f"Engagement {engagement.id} is {engagement.status}.")
    if data.kind == "regular":
        await agreement_service.require_signed(session, engagement)
    if await people_repository.deactivated_among(
        session, [engagement.participant_id, engagement.provider_person_id]
    ):
        raise PersonDeactivated(f"A party of engagement {engagement.id} has been deactivated by the HRIS.")
    starts_at = data.starts_at.astimezone(UTC)
    if starts_at.second or starts_at.microsecond:
        raise InvalidSessionTime("Sessions start on a whole minute.", pointer="#/starts_at")
    if starts_at <= now:
        raise InvalidSessionTime("Sessions can only be booked in the future.", pointer="#/starts_at")
    interval = slots.Interval(
        starts_at,
        starts_at
        + timedelta(
            minutes=data.duration_minutes or engagement_domain.default_minutes(engagement, data.kind)
        ),
    )
    for role, who in slots.people_of(engagement):
        if not slots.within_working_hours(who, interval):
            raise OutsideWorkingHours(
                f"{interval.start.isoformat()} to {interval.end.isoformat()} is outside the {role}'s "
                f"working hours ({who.timezone.key}).",
                pointer="#/starts_at",
                role=role,
            )
    if calendars is not None:
        await check_calendars(
            session, calendars, engagement, interval, accept_unverified=data.accept_unverified
        )
    booked = Session(
        engagement_id=engagement.id,
        kind=data.kind,
        status="booked",
        starts_at=interval.start,
        ends_at=interval.end,
        booked_by=principal.subject,
    )
    people = list(dict.fromkeys([engagement.participant_id, engagement.provider_person_id]))
    # A failed flush expires the loaded objects: nothing below may read them before re-raising.
    try:
        await repository.add_with_attendees(session, booked, people)
    except IntegrityError as exc:
        code = sqlstate(exc)
        if code == EXCLUSION_VIOLATION:
            raise SlotTaken(
                "The participant or the provider already has a session at that time.", pointer="#/starts_at"
            ) from exc
        if code == UNIQUE_VIOLATION:
            raise KickoffAlreadyBooked(
                f"Engagement {engagement_id} already has a booked kickoff; cancel it first.", pointer="#/kind"
            ) from exc
        raise
    await sla_service.session_booked(session, engagement, at=now)
    await emit(
        session,
        SessionBooked(
            session_id=booked.id,
            engagement_id=engagement.id,
            match_id=engagement.match_id,
            participant_id=engagement.participant_id,
            provider_id=engagement.provider_id,
            provider_person_id=engagement.provider_person_id,
            starts_at=booked.starts_at,
            ends_at=booked.ends_at,
            kind=data.kind,
        ),
    )
    log.info("scheduling.session.booked", session_id=str(booked.id), engagement_id=str(engagement.id))
    return booked


async def check_calendars(
    session: AsyncSession,
    calendars: CalendarGateway,
    engagement: Engagement,
    interval: slots.Interval,
    *,
    accept_unverified: bool,
) -> None:
    """Fresh busy data for the chosen time, not the slot search's: a meeting may have landed since."""
    parties = [("participant", engagement.participant_id), ("provider", engagement.provider_person_id)]
    answer = await calendars.free_busy(session, [p for _, p in parties], interval.start, interval.end)
    for role, person_id in parties:
        if any(interval.overlaps(slots.Interval(b0, b1)) for b0, b1 in answer[person_id].busy):
            raise CalendarBusy(
                f"The {role}'s calendar has another meeting between {interval.start.isoformat()} and "
                f"{interval.end.isoformat()}.",
                pointer="#/starts_at",
                role=role,
            )
    unknown = [role for role, person_id in parties if answer[person_id].calendar == "unknown"]
    if unknown and not accept_unverified:
        raise CalendarUnverified(
            f"The {' and the '.join(unknown)}'s calendar could not be read; send accept_unverified: true "
            "to book without checking it.",
            pointer="#/accept_unverified",
            roles=unknown,
        )


async def cancel_session(
    session: AsyncSession,
    principal: Principal,
    engagement_id: UUID,
    session_id: UUID,
    data: SessionCancel,
    *,
    now: datetime | None = None,
    code: CancelCode = "requested",
) -> Session:
    """Cancel a booked session: its time is free again. A cancellation the parties or program
    operations ask for (`requested`) reopens the next-session clock the session kept, when nothing else
    is booked ahead (the kickoff's clock is met only when the kickoff is held); one made because the
    match ended or a person left settles the clocks with the engagement's end."""
    engagement = await engagement_service.get_engagement(session, principal, engagement_id)
    booked = await repository.get_in_engagement(session, engagement.id, session_id, for_update=True)
    if booked is None:
        raise SessionNotFound(f"No session {session_id} in engagement {engagement.id}.")
    if booked.status == "cancelled":
        raise SessionAlreadyCancelled(f"Session {session_id} was cancelled at {booked.cancelled_at}.")
    now = now or datetime.now(UTC)
    booked.status = "cancelled"
    booked.cancelled_at = now
    booked.cancel_reason = data.reason
    await repository.release_holds(session, booked.id)
    await session.flush()
    if code == "requested":
        await sla_service.session_cancelled(session, engagement)
    await emit(session, SessionCancelled(session_id=booked.id, engagement_id=engagement.id, reason_code=code))
    log.info("scheduling.session.cancelled", session_id=str(booked.id), engagement_id=str(engagement.id))
    return booked
