from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from tandem_consent.retention.domain import RetentionAction
from tandem_consent.schemas import Key
from tandem_kit.fields import Text


class RetentionPolicy(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    category: str = Field(description="Data category, e.g. `session_notes`.")
    service: str = Field(description="The service that holds the data and purges it.")
    period_days: int = Field(description="Days data is kept after it stops being needed.")
    action: RetentionAction = Field(description="`delete` or `anonymize` once the period is over.")
    description: str = Field(description="What the category holds and when its clock starts.")
    updated_at: datetime = Field(description="When the policy last changed.")


class RetentionPolicyUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: Key = Field(description="The service that holds the data (`consent`, `matching`, ...).")
    period_days: int = Field(ge=1, le=36500, description="Days data is kept.")
    action: RetentionAction = Field(description="`delete` or `anonymize` once the period is over.")
    description: Text = Field(min_length=1, max_length=4000, description="What the category holds.")


class RetentionRunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dry_run: bool = Field(
        default=False, description="Count what would be purged here without deleting or notifying anyone."
    )


class RetentionStepResult(BaseModel):
    category: str = Field(description="Data category.")
    service: str = Field(description="The service that purges it.")
    action: RetentionAction = Field(description="`delete` or `anonymize`.")
    cutoff: datetime = Field(description="Data older than this is purged.")
    purged: int | None = Field(description="Rows purged here (null when another service purges).")
    requested: bool = Field(description="Whether the holding service was sent `RetentionPurgeRequested`.")


class RetentionRun(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="Run id (carried by the purge events).")
    as_of: datetime = Field(description="The moment the cutoffs were computed from.")
    dry_run: bool = Field(description="Whether nothing was deleted.")
    started_by: str = Field(description="Token subject (or job) that started the run.")
    results: list[RetentionStepResult] = Field(description="One result per policy.")
    created_at: datetime = Field(description="When the run happened.")
