from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from tandem_kit.fields import Int4, Text
from tandem_scheduling.agreement.domain import CLAUSES


def _clause(key: str) -> Any:
    return Field(min_length=1, max_length=4000, description=CLAUSES[key])


class WorkingAgreementClauses(BaseModel):
    """The eight clauses, each as the text both parties agree to."""

    model_config = ConfigDict(extra="forbid")

    scope: Text = _clause("scope")
    confidentiality: Text = _clause("confidentiality")
    cadence: Text = _clause("cadence")
    success_criteria: Text = _clause("success_criteria")
    escalation_path: Text = _clause("escalation_path")
    data_usage_consent: Text = _clause("data_usage_consent")
    sponsor_actions: Text = _clause("sponsor_actions")
    termination: Text = _clause("termination")


class WorkingAgreement(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    engagement_id: UUID = Field(description="Engagement the agreement governs.")
    version: int = Field(description="Bumped on every change of clause text; signatures are for one version.")
    clauses: WorkingAgreementClauses = Field(description="The agreed text, clause by clause.")
    participant_signed_at: datetime | None = Field(description="When the participant signed this version.")
    provider_signed_at: datetime | None = Field(description="When the coach or mentor signed this version.")
    signed: bool = Field(description="Both parties signed this version: regular sessions may be booked.")
    updated_by: str = Field(description="Subject of the token that last changed the text.")
    updated_at: datetime = Field(description="When the text last changed or was signed.")


class WorkingAgreementSignature(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Int4 = Field(ge=1, description="The version being signed; 409 when the text changed since.")
