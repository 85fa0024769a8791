from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from tandem_matching.program.schemas import Weights

ProposalID = UUID
ProposalStatus = Literal["pending", "approved", "rejected", "overridden", "superseded", "closed"]


class SignalExplanation(BaseModel):
    signal: str = Field(description="Signal name, e.g. technical_skills.")
    value: float = Field(description="The signal's value for this pair, 0..1.")
    nominal_weight: float = Field(description="The signal's share of 100 points before redistribution.")
    weight_used: float = Field(description="The share actually used, after consent redistribution.")
    contribution: float = Field(description="weight_used x value; the contributions add up to the score.")


class ExcludedSignal(BaseModel):
    signal: str = Field(description="A signal left out because the participant did not consent to it.")
    missing_fields: list[str] = Field(description="The data fields the participant did not consent to.")
    nominal_weight: float = Field(
        description="The share of 100 points it would have carried, now redistributed."
    )


class DirectoryRuleLeftOut(BaseModel):
    rule: Literal["mentor_seniority", "cross_department"] = Field(
        description="A ranking rule on HR directory facts that did not apply to this participant."
    )
    field: str = Field(description="The consent-inventory field it reads (job_level, reporting_line).")
    why: Literal["no_consent", "unknown"] = Field(
        description="no_consent: the participant's `matching` consent does not list the field; "
        "unknown: the HR directory holds no value for them."
    )


class Candidate(BaseModel):
    rank: int = Field(description="1 is the best (or, for a cohort run, the assigned) candidate.")
    provider_id: UUID = Field(description="Provider id.")
    score: float = Field(description="Total score 0..100, the sum of the signal contributions.")
    signals: list[SignalExplanation] = Field(description="Per-signal explanation of the score.")
    provider_excluded_signals: list[ExcludedSignal] = Field(
        default_factory=list,
        description="Signals left out for this candidate only: the participant allowed them, the "
        "provider's own consent did not cover `missing_fields`; their weight was redistributed.",
    )


class ProposalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    intake_id: UUID = Field(description="The participant's intake.")
    kind: Literal["coach", "mentor"] | None = Field(
        default=None, description="Which provider to propose; the track's next unmatched kind when omitted."
    )
    k: int = Field(default=5, ge=1, le=50, description="How many candidates to rank.")
    auto_approve: bool = Field(
        default=False,
        description="Approve the best candidate at once. Refused (409) for high political risk participants.",
    )


class Proposal(BaseModel):
    id: ProposalID = Field(description="Proposal id.")
    program_id: UUID = Field(description="Program id.")
    intake_id: UUID = Field(description="Intake id.")
    cohort_id: UUID | None = Field(description="Cohort, when created by a cohort assignment run.")
    participant_id: UUID = Field(description="Participant person id.")
    provider_kind: Literal["coach", "mentor"] = Field(description="Kind of provider proposed.")
    status: ProposalStatus = Field(
        description="pending until a program manager decides; closed when the HR directory deactivated "
        "the participant."
    )
    source: str = Field(description="request or cohort_assignment.")
    weight_set_version: int = Field(description="Version of the program weights used.")
    weights_used: dict[str, float] = Field(description="Share of 100 points each included signal carried.")
    excluded_signals: list[ExcludedSignal] = Field(description="Signals left out for lack of consent.")
    redistributed_weight: float = Field(
        description="Points of the 100 the excluded signals would have carried, redistributed to the "
        "included signals in proportion to their weights."
    )
    promotion_rule_applied: bool = Field(
        description="Promotion-related participant: sponsorship was made to outweigh technical fit."
    )
    consent_notice_version: int | None = Field(description="The consent notice version in force.")
    candidates: list[Candidate] = Field(description="Ranked candidates, best first.")
    directory_left_out: list[DirectoryRuleLeftOut] = Field(
        default_factory=list, description="Mentoring rules on HR directory facts left out, and why."
    )
    explanation: list[str] = Field(description="Plain-language notes on exclusions and rules applied.")
    match_id: UUID | None = Field(description="The match created by approval or override.")
    created_by: str = Field(description="Who requested the proposal.")
    created_at: datetime = Field(description="When it was created.")
    decided_by: str | None = Field(description="Who decided.")
    decided_at: datetime | None = Field(description="When it was decided.")
    decision_reason: str | None = Field(description="The reason given with the decision.")


class DryRunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    intake_id: UUID = Field(description="The participant to score.")
    weights: Weights = Field(description="The proposed weights (not saved).")
    kind: Literal["coach", "mentor"] | None = Field(default=None, description="Provider kind.")
    k: int = Field(default=5, ge=1, le=50, description="How many candidates to rank.")


class Ranking(BaseModel):
    weight_set_version: int | None = Field(description="The saved version, or None for proposed weights.")
    weights_used: dict[str, float] = Field(description="Share of 100 points each included signal carried.")
    excluded_signals: list[ExcludedSignal] = Field(description="Signals left out for lack of consent.")
    redistributed_weight: float = Field(description="Points redistributed from excluded signals.")
    candidates: list[Candidate] = Field(description="Ranked candidates, best first.")


class DryRun(BaseModel):
    intake_id: UUID = Field(description="The participant scored.")
    provider_kind: Literal["coach", "mentor"] = Field(description="Kind of provider ranked.")
    current: Ranking = Field(description="Ranking with the program's current weights.")
    proposed: Ranking = Field(description="Ranking with the proposed weights; nothing was saved.")
