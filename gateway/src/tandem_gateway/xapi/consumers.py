"""The LRS reporter's subscriptions: scheduling's and matching's milestones become statements out."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_gateway.settings import Settings
from tandem_gateway.xapi import reporter, schemas
from tandem_gateway.xapi.lrs import Outbound
from tandem_kit.events import EventEnvelope, Subscription, typed


def subscriptions(outbound: Outbound, settings: Settings) -> list[Subscription]:
    async def on_working_agreement_signed(
        session: AsyncSession, envelope: EventEnvelope, data: schemas.WorkingAgreementSigned
    ) -> None:
        await reporter.report_milestone(
            session,
            outbound,
            settings,
            event_id=envelope.id,
            milestone="working_agreement_signed",
            person_ids=[data.participant_id, data.provider_person_id],
            activity=f"matches/{data.match_id}/working-agreement",
            at=data.signed_at,
            registration=data.match_id,
        )

    async def on_session_attended(
        session: AsyncSession, envelope: EventEnvelope, data: schemas.SessionAttended
    ) -> None:
        kickoff = data.kind == "kickoff"
        await reporter.report_milestone(
            session,
            outbound,
            settings,
            event_id=envelope.id,
            milestone="kickoff_held" if kickoff else "session_attended",
            person_ids=[data.participant_id, data.provider_person_id],
            activity=f"matches/{data.match_id}/kickoff" if kickoff else f"sessions/{data.session_id}",
            at=data.attended_at,
            registration=data.match_id,
        )

    async def on_match_ended(
        session: AsyncSession, envelope: EventEnvelope, data: schemas.MatchEnded
    ) -> None:
        if data.reason != "completed":
            return  # withdrawn, terminated, reassigned: not a milestone
        await reporter.report_milestone(
            session,
            outbound,
            settings,
            event_id=envelope.id,
            milestone="track_completed",
            person_ids=[data.participant_id],
            activity=f"programs/{data.program_id}/matches/{data.match_id}/track",
            at=data.ended_at,
            registration=data.match_id,
        )

    return [
        Subscription(
            name="gateway-lrs-agreement",
            subjects=["tandem.scheduling.WorkingAgreementSigned"],
            handler=typed(schemas.WorkingAgreementSigned, on_working_agreement_signed),
        ),
        Subscription(
            name="gateway-lrs-session",
            subjects=["tandem.scheduling.SessionAttended"],
            handler=typed(schemas.SessionAttended, on_session_attended),
        ),
        Subscription(
            name="gateway-lrs-track",
            subjects=["tandem.matching.MatchEnded"],
            handler=typed(schemas.MatchEnded, on_match_ended),
        ),
    ]
