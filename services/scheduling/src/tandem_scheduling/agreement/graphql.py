"""GraphQL mutations of the working agreement: the same service calls, scopes and checks as REST."""

from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from tandem_kit.graphql import field, graphql_input, mutation_session, require_scope
from tandem_scheduling import models
from tandem_scheduling.agreement import service
from tandem_scheduling.agreement.schemas import WorkingAgreementClauses, WorkingAgreementSignature


@strawberry.type(description="The eight clauses of an engagement's working agreement, as agreed.")
class WorkingAgreementClauseText:
    scope: str
    confidentiality: str
    cadence: str
    success_criteria: str
    escalation_path: str
    data_usage_consent: str
    sponsor_actions: str
    termination: str


@strawberry.input(description="The eight clauses, each as the text both parties agree to.")
class WorkingAgreementInput:
    scope: str
    confidentiality: str
    cadence: str
    success_criteria: str
    escalation_path: str
    data_usage_consent: str
    sponsor_actions: str
    termination: str


@strawberry.type(description="An engagement's working agreement and who signed its current version.")
class WorkingAgreement:
    engagement_id: strawberry.ID
    version: int
    clauses: WorkingAgreementClauseText
    participant_signed_at: datetime | None
    provider_signed_at: datetime | None
    signed: bool
    updated_at: datetime


def to_graphql(a: models.WorkingAgreement) -> WorkingAgreement:
    return WorkingAgreement(
        engagement_id=strawberry.ID(str(a.engagement_id)),
        version=a.version,
        clauses=WorkingAgreementClauseText(**a.clauses),
        participant_signed_at=a.participant_signed_at,
        provider_signed_at=a.provider_signed_at,
        signed=a.signed,
        updated_at=a.updated_at,
    )


@strawberry.type
class AgreementMutation:
    @field(
        description="Write the working agreement's clauses (as REST `PUT .../working-agreement`); changed "
        "text is a new version both parties sign again."
    )
    async def draft_working_agreement(
        self, info: Info[Any, Any], engagement_id: UUID, input: WorkingAgreementInput
    ) -> WorkingAgreement | None:
        principal = require_scope(info, "scheduling:write")
        clauses = graphql_input(WorkingAgreementClauses, "input", vars(input))
        async with mutation_session(info) as session:
            agreement = await service.put_agreement(session, principal, engagement_id, clauses)
        return to_graphql(agreement)

    @field(description="Sign the version you read, as the participant or the provider (the token's person).")
    async def sign_working_agreement(
        self, info: Info[Any, Any], engagement_id: UUID, version: int
    ) -> WorkingAgreement | None:
        principal = require_scope(info, "scheduling:write")
        data = graphql_input(WorkingAgreementSignature, "input", {"version": version})
        async with mutation_session(info) as session:
            agreement = await service.sign_agreement(session, principal, engagement_id, data)
        return to_graphql(agreement)
