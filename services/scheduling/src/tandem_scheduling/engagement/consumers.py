"""Events from other services that open or change engagements."""

import structlog
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.events import EventEnvelope, Subscription
from tandem_scheduling.availability.domain import InvalidWorkingHours, person
from tandem_scheduling.engagement import ending, service
from tandem_scheduling.engagement.schemas import MatchApprovedData, MatchEndedData

log = structlog.get_logger("tandem.scheduling.engagement")


async def on_match_approved(session: AsyncSession, envelope: EventEnvelope) -> None:
    try:
        data = MatchApprovedData.model_validate(envelope.data)
        for tz, hours in (
            (data.participant_timezone, data.participant_working_hours),
            (data.provider_timezone, data.provider_working_hours),
        ):
            person(tz, [h.model_dump() for h in hours])
    except (ValidationError, InvalidWorkingHours) as exc:
        # Redelivery cannot fix a malformed payload: record it loudly instead of retrying forever.
        log.error("scheduling.engagement.invalid_event", event_id=str(envelope.id), error=str(exc))
        return
    await service.create_from_match(session, data)


MATCH_APPROVED = Subscription(
    name="scheduling-match-approved",
    subjects=["tandem.matching.MatchApproved"],
    handler=on_match_approved,
)


async def on_match_ended(session: AsyncSession, envelope: EventEnvelope) -> None:
    try:
        data = MatchEndedData.model_validate(envelope.data)
    except ValidationError as exc:
        log.error("scheduling.engagement.invalid_event", event_id=str(envelope.id), error=str(exc))
        return
    await ending.end_match(session, data)


MATCH_ENDED = Subscription(
    name="scheduling-match-ended",
    subjects=["tandem.matching.MatchEnded"],
    handler=on_match_ended,
)
