"""Matching's reactions to its own match events: a completed coaching sprint hands over to a mentor."""

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.events import EventEnvelope, Subscription, typed
from tandem_matching.consent_client.gate import ConsentGate
from tandem_matching.handoff import schemas, service


def subscriptions(gate: ConsentGate, handoff_gate: ConsentGate) -> list[Subscription]:
    async def on_match_ended(
        session: AsyncSession, _envelope: EventEnvelope, data: schemas.MatchEnded
    ) -> None:
        if data.provider_kind == "coach" and data.reason == "completed":
            await service.sprint_completed(
                session, gate, handoff_gate, data.match_id, completed_at=data.ended_at
            )

    async def on_match_approved(
        session: AsyncSession, _envelope: EventEnvelope, data: schemas.MatchApproved
    ) -> None:
        if data.provider_kind == "mentor":
            await service.mentor_approved(session, data.match_id)

    return [
        Subscription(
            name="matching-dual-track-sprint-ended",
            subjects=["tandem.matching.MatchEnded"],
            handler=typed(schemas.MatchEnded, on_match_ended),
        ),
        Subscription(
            name="matching-dual-track-mentor-approved",
            subjects=["tandem.matching.MatchApproved"],
            handler=typed(schemas.MatchApproved, on_match_approved),
        ),
    ]
