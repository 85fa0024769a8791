from uuid import UUID

from fastapi import APIRouter

from tandem_kit.db import SessionDep
from tandem_kit.openapi import problems
from tandem_scheduling.agreement import service
from tandem_scheduling.agreement.schemas import (
    WorkingAgreement,
    WorkingAgreementClauses,
    WorkingAgreementSignature,
)
from tandem_scheduling.agreement.service import (
    AgreementVersionChanged,
    OnlyPartiesSign,
    WorkingAgreementNotFound,
)
from tandem_scheduling.auth import SchedulingRead, SchedulingWrite
from tandem_scheduling.engagement.service import EngagementNotFound

router = APIRouter(prefix="/engagements/{engagement_id}/working-agreement", tags=["working-agreement"])


@router.get(
    "", response_model=WorkingAgreement, responses=problems(WorkingAgreementNotFound, EngagementNotFound)
)
async def get_working_agreement(
    engagement_id: UUID, principal: SchedulingRead, session: SessionDep
) -> WorkingAgreement:
    """Get the engagement's working agreement and who signed it."""
    return WorkingAgreement.model_validate(await service.get_agreement(session, principal, engagement_id))


@router.put("", response_model=WorkingAgreement, responses=problems(EngagementNotFound))
async def put_working_agreement(
    engagement_id: UUID, data: WorkingAgreementClauses, principal: SchedulingWrite, session: SessionDep
) -> WorkingAgreement:
    """Write the eight clauses; changed text is a new version both parties sign again."""
    return WorkingAgreement.model_validate(
        await service.put_agreement(session, principal, engagement_id, data)
    )


@router.post(
    "/signatures",
    response_model=WorkingAgreement,
    responses=problems(
        AgreementVersionChanged, OnlyPartiesSign, WorkingAgreementNotFound, EngagementNotFound
    ),
)
async def sign_working_agreement(
    engagement_id: UUID, data: WorkingAgreementSignature, principal: SchedulingWrite, session: SessionDep
) -> WorkingAgreement:
    """Sign the agreement as the participant or the provider (the token's person)."""
    return WorkingAgreement.model_validate(
        await service.sign_agreement(session, principal, engagement_id, data)
    )
