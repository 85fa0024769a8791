from datetime import UTC, datetime
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.errors import Conflict, Forbidden, NotFound
from tandem_kit.events import emit
from tandem_scheduling.agreement import domain, repository
from tandem_scheduling.agreement.schemas import WorkingAgreementClauses, WorkingAgreementSignature
from tandem_scheduling.engagement import service as engagement_service
from tandem_scheduling.events import WorkingAgreementSigned
from tandem_scheduling.models import Engagement, WorkingAgreement

log = structlog.get_logger("tandem.scheduling.agreement")


class WorkingAgreementNotFound(NotFound):
    code, title = "working-agreement-not-found", "Working agreement not found"


class OnlyPartiesSign(Forbidden):
    code, title = "only-parties-sign", "Only the participant and the provider sign"


class AgreementVersionChanged(Conflict):
    code, title = "working-agreement-changed", "Working agreement changed"


class AgreementNotSigned(Conflict):
    code, title = "working-agreement-unsigned", "Working agreement not signed"


async def get_agreement(session: AsyncSession, principal: Principal, engagement_id: UUID) -> WorkingAgreement:
    engagement = await engagement_service.get_engagement(session, principal, engagement_id)
    agreement = await repository.get_for_engagement(session, engagement.id)
    if agreement is None:
        raise WorkingAgreementNotFound(f"Engagement {engagement.id} has no working agreement yet.")
    return agreement


async def put_agreement(
    session: AsyncSession,
    principal: Principal,
    engagement_id: UUID,
    clauses: WorkingAgreementClauses,
    *,
    now: datetime | None = None,
) -> WorkingAgreement:
    """Write the clauses; changed text is a new version that both parties must sign again."""
    engagement = await engagement_service.get_engagement(session, principal, engagement_id)
    agreement = await repository.get_for_engagement(session, engagement.id, for_update=True)
    text = clauses.model_dump()
    if agreement is None:
        agreement = WorkingAgreement(
            engagement_id=engagement.id, version=1, clauses=text, updated_by=principal.subject
        )
        session.add(agreement)
    elif agreement.clauses != text:
        agreement.version += 1
        agreement.clauses = text
        agreement.participant_signed_at = agreement.provider_signed_at = None
        agreement.updated_by = principal.subject
        agreement.updated_at = now or datetime.now(UTC)
    await session.flush()
    await session.refresh(agreement)
    return agreement


async def sign_agreement(
    session: AsyncSession,
    principal: Principal,
    engagement_id: UUID,
    data: WorkingAgreementSignature,
    *,
    now: datetime | None = None,
) -> WorkingAgreement:
    """The calling party signs the version they read; signing twice changes nothing."""
    engagement = await engagement_service.get_engagement(session, principal, engagement_id)
    person = principal.person_uuid
    role = domain.role_of(
        person, participant_id=engagement.participant_id, provider_person_id=engagement.provider_person_id
    )
    if role is None:
        raise OnlyPartiesSign("Sign with the token of the participant or of the coach or mentor.")
    agreement = await repository.get_for_engagement(session, engagement.id, for_update=True)
    if agreement is None:
        raise WorkingAgreementNotFound(f"Engagement {engagement.id} has no working agreement yet.")
    if agreement.version != data.version:
        raise AgreementVersionChanged(
            f"The agreement is at version {agreement.version}; read it again before signing.",
            pointer="#/version",
            current_version=agreement.version,
        )
    at = now or datetime.now(UTC)
    was_signed = agreement.signed
    if role == "participant" and agreement.participant_signed_at is None:
        agreement.participant_signed_at = at
    elif role == "provider" and agreement.provider_signed_at is None:
        agreement.provider_signed_at = at
    await session.flush()
    if agreement.signed and not was_signed:
        # Once per version: the second signature completes it, a repeated signature changes nothing.
        await emit(
            session,
            WorkingAgreementSigned(
                agreement_id=agreement.id,
                engagement_id=engagement.id,
                match_id=engagement.match_id,
                participant_id=engagement.participant_id,
                provider_person_id=engagement.provider_person_id,
                version=agreement.version,
                signed_at=at,
            ),
        )
    log.info(
        "scheduling.agreement.signed", engagement_id=str(engagement.id), role=role, version=agreement.version
    )
    return agreement


async def require_signed(session: AsyncSession, engagement: Engagement) -> None:
    """Regular sessions start only once both parties signed the working agreement."""
    agreement = await repository.get_for_engagement(session, engagement.id)
    if agreement is None or not agreement.signed:
        raise AgreementNotSigned(
            f"Both parties must sign engagement {engagement.id}'s working agreement before regular sessions.",
            pointer="#/kind",
        )
