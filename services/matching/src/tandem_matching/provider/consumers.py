"""Training evidence from the gateway's xAPI intake and provider outcomes from analytics: stored, then
the provider's gates evaluated again."""

from collections.abc import Callable
from datetime import datetime

import structlog
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.events import EventEnvelope, Subscription, typed
from tandem_kit.privacy import names_erased
from tandem_matching.eligibility import Policy
from tandem_matching.evidence import repository as evidence_repository
from tandem_matching.provider import repository, schemas, service

log = structlog.get_logger("tandem.matching.provider")


def subscriptions(policy: Policy, clock: Callable[[], datetime] = service.now) -> list[Subscription]:
    """Both evidence events, applied as upserts by evidence id: a replay or a redelivery changes nothing."""

    async def on_recorded(
        session: AsyncSession, _envelope: EventEnvelope, data: schemas.TrainingEvidenceRecorded
    ) -> None:
        await evidence_repository.record(
            session,
            evidence_id=data.evidence_id,
            person_id=data.person_id,
            program_id=data.program_id,
            item=data.item,
            statement_id=data.statement_id,
            verb=data.verb,
            counts=data.counts,
            score_scaled=data.score_scaled,
            achieved_at=data.achieved_at,
        )
        await service.reevaluate_person(session, data.program_id, data.person_id, now=clock(), policy=policy)

    async def on_retracted(
        session: AsyncSession, _envelope: EventEnvelope, data: schemas.TrainingEvidenceRetracted
    ) -> None:
        await evidence_repository.retract(
            session,
            evidence_id=data.evidence_id,
            person_id=data.person_id,
            program_id=data.program_id,
            item=data.item,
            statement_id=data.statement_id,
            voided_by=data.voided_by,
            retracted_at=data.retracted_at,
        )
        await service.reevaluate_person(session, data.program_id, data.person_id, now=clock(), policy=policy)

    return [
        Subscription(
            name="matching-training-evidence-recorded",
            subjects=["tandem.gateway.TrainingEvidenceRecorded"],
            handler=typed(schemas.TrainingEvidenceRecorded, on_recorded),
        ),
        Subscription(
            name="matching-training-evidence-retracted",
            subjects=["tandem.gateway.TrainingEvidenceRetracted"],
            handler=typed(schemas.TrainingEvidenceRetracted, on_retracted),
        ),
    ]


def outcomes_subscription(
    policy: Policy, *, key: SecretStr, clock: Callable[[], datetime] = service.now
) -> Subscription:
    """Analytics' provider outcomes: kept per provider (the newest computation), then the provider's
    gates evaluated again, the continuing gate on these numbers (`eligibility.continuing_inputs`).
    Outcomes of an erased provider are dropped (`key` is the erased-people key)."""

    async def on_outcomes(
        session: AsyncSession, envelope: EventEnvelope, data: schemas.ProviderOutcomesUpdated
    ) -> None:
        # The event names the provider row, not the person, so the guard every consumer has cannot
        # tell it is about someone erased: the row's person (a stand-in once erased, recorded as
        # erased too) is checked here, under the person's erasure lock, before anything is written.
        person_id = await repository.person_of(session, data.provider_id)
        if person_id is None or await names_erased(session, {"person_id": str(person_id)}, key=key):
            log.info("matching.provider.outcomes_dropped", event_id=str(envelope.id))
            return
        if await repository.record_outcome(session, data.model_dump()):
            provider = await repository.lock(session, data.provider_id)
            if provider is not None:
                await service.reevaluate(session, provider, now=clock(), policy=policy)

    return Subscription(
        name="matching-provider-outcomes",
        subjects=["tandem.analytics.ProviderOutcomesUpdated"],
        handler=typed(schemas.ProviderOutcomesUpdated, on_outcomes),
    )
