"""Events from other services that open or change engagements."""

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.events import EventEnvelope, InvalidEvent, Subscription, typed
from tandem_scheduling.availability.domain import InvalidWorkingHours, person
from tandem_scheduling.engagement import service
from tandem_scheduling.engagement.schemas import MatchApproved, MatchEnded
from tandem_scheduling.lifecycle import ending
from tandem_scheduling.people import schemas as people


async def on_match_approved(session: AsyncSession, _envelope: EventEnvelope, data: MatchApproved) -> None:
    for side, tz, hours in (
        ("participant", data.participant_timezone, data.participant_working_hours),
        ("provider", data.provider_timezone, data.provider_working_hours),
    ):
        try:
            person(tz, [h.model_dump() for h in hours])
        except InvalidWorkingHours as exc:
            # Redelivery cannot fix it: the kit parks the event where operations see and replay it.
            raise InvalidEvent(f"MatchApproved: {side}_working_hours: invalid_working_hours") from exc
    await service.create_from_match(session, data)


MATCH_APPROVED = Subscription(
    name="scheduling-match-approved",
    subjects=["tandem.matching.MatchApproved"],
    handler=typed(MatchApproved, on_match_approved),
)


async def on_match_ended(session: AsyncSession, _envelope: EventEnvelope, data: MatchEnded) -> None:
    await ending.end_match(session, data)


MATCH_ENDED = Subscription(
    name="scheduling-match-ended",
    subjects=["tandem.matching.MatchEnded"],
    handler=typed(MatchEnded, on_match_ended),
)


async def on_person_deactivated(
    session: AsyncSession, _envelope: EventEnvelope, data: people.PersonDeactivated
) -> None:
    await ending.person_deactivated(session, data.person_id, deactivated_at=data.deactivated_at)


PERSON_DEACTIVATED = Subscription(
    name="scheduling-person-deactivated",
    subjects=["tandem.gateway.PersonDeactivated"],
    handler=typed(people.PersonDeactivated, on_person_deactivated),
)


async def on_person_reactivated(
    session: AsyncSession, _envelope: EventEnvelope, data: people.PersonReactivated
) -> None:
    await ending.person_reactivated(session, data.person_id, reactivated_at=data.reactivated_at)


PERSON_REACTIVATED = Subscription(
    name="scheduling-person-reactivated",
    subjects=["tandem.gateway.PersonReactivated"],
    handler=typed(people.PersonReactivated, on_person_reactivated),
)
