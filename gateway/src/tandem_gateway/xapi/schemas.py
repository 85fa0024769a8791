"""Schemas of the xAPI integration's admin API, and the events its reporter consumes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tandem_gateway.xapi.domain import Item, Rule
from tandem_kit.fields import Text


class XapiCredentialCreate(BaseModel):
    name: Text = Field(min_length=1, max_length=200, description="Which LMS this credential is for.")
    can_read: bool = Field(default=False, description="Whether the LMS may also read its statements back.")


class XapiCredential(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="Credential id.")
    key: str = Field(description="The Basic user name the LMS sends.")
    name: str = Field(description="Which LMS this credential is for.")
    can_read: bool = Field(description="Whether the LMS may read its statements back.")
    created_at: datetime = Field(description="When it was issued.")
    disabled_at: datetime | None = Field(description="When it was disabled (then it is refused).")


class XapiCredentialWithSecret(XapiCredential):
    secret: str = Field(description="The Basic password; shown once, stored only as a hash.")


class CurriculumMappingCreate(BaseModel):
    activity_id: Text = Field(
        min_length=1,
        max_length=2048,
        pattern=r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$",
        description="Activity IRI, cmi5 course id or AU id (the `object.id` or a grouping activity's id).",
    )
    item: Item = Field(description="The Tandem evidence item the activity stands for.")
    rule: Rule = Field(
        default="completion",
        description="`completion`: completed/passed/satisfied/waived count; `passed`: a weekly assessment "
        "(completed counts only with result.success); `score`: result.score.scaled >= min_scaled.",
    )
    min_scaled: float | None = Field(
        default=None, ge=-1, le=1, description="Threshold of `result.score.scaled` for the `score` rule."
    )

    @model_validator(mode="after")
    def _threshold_with_score(self) -> CurriculumMappingCreate:
        if (self.rule == "score") != (self.min_scaled is not None):
            raise ValueError("min_scaled is required with rule `score`, and only with it")
        return self


class CurriculumMapping(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="Mapping id.")
    program_id: UUID = Field(description="The program whose curriculum this is.")
    activity_id: str = Field(description="Activity IRI or cmi5 id.")
    item: str = Field(description="Evidence item.")
    rule: str = Field(description="How a statement counts.")
    min_scaled: float | None = Field(description="Score threshold (rule `score`).")
    created_at: datetime = Field(description="When it was mapped.")


class Evidence(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="Evidence id (the `evidence_id` of its events).")
    person_id: UUID = Field(description="The directory person.")
    program_id: UUID = Field(description="The program.")
    item: str = Field(description="Evidence item.")
    statement_id: UUID = Field(description="The xAPI statement it came from.")
    verb: str = Field(description="completed, passed, satisfied, waived or failed.")
    counts: bool = Field(description="Whether it satisfies the item.")
    score_scaled: float | None = Field(description="result.score.scaled, if sent.")
    achieved_at: datetime = Field(description="The statement's timestamp.")
    retracted_at: datetime | None = Field(description="When a voiding statement took it back.")


class LrsConnectionCreate(BaseModel):
    organisation: Text = Field(
        default="default", min_length=1, max_length=120, description="The organisation this LRS serves."
    )
    endpoint: Text = Field(
        min_length=1, max_length=2048, pattern=r"^https?://\S+$", description="The LRS's xAPI base URL."
    )
    auth: Literal["basic", "oauth"] = Field(description="HTTP Basic, or OAuth 2.0 client credentials.")
    username: Text = Field(min_length=1, max_length=200, description="Basic user name, or OAuth client id.")
    secret: Text = Field(
        min_length=1, max_length=2048, description="Basic password or client secret (sealed)."
    )
    token_url: Text | None = Field(
        default=None, max_length=2048, pattern=r"^https?://\S+$", description="OAuth token endpoint."
    )
    scope: Text | None = Field(default=None, max_length=200, description="OAuth scopes to ask for.")

    @model_validator(mode="after")
    def _token_url_with_oauth(self) -> LrsConnectionCreate:
        if (self.auth == "oauth") != (self.token_url is not None):
            raise ValueError("token_url is required with auth `oauth`, and only with it")
        return self


class LrsConnection(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="Connection id.")
    organisation: str = Field(description="The organisation this LRS serves.")
    endpoint: str = Field(description="The LRS's xAPI base URL.")
    auth: str = Field(description="basic or oauth.")
    username: str = Field(description="Basic user name or OAuth client id (the secret is never shown).")
    token_url: str | None = Field(description="OAuth token endpoint.")
    enabled: bool = Field(description="Whether statements go out to it.")
    created_at: datetime = Field(description="When it was configured.")


class AssignmentCreate(BaseModel):
    person_ids: list[UUID] = Field(min_length=1, max_length=500, description="Who is assigned the module.")
    activity_id: Text = Field(
        min_length=1,
        max_length=2048,
        pattern=r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$",
        description="The microlearning module's activity IRI in the LMS.",
    )
    name: Text = Field(min_length=1, max_length=200, description="The module's title.")
    assignment_id: UUID = Field(description="Caller's id for this assignment: a repeat sends nothing new.")


class AssignmentResult(BaseModel):
    sent: list[UUID] = Field(description="Statement ids sent (one per consenting person).")
    skipped: list[UUID] = Field(description="People without the LRS reporting consent: nothing sent.")


class WorkingAgreementSigned(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    agreement_id: UUID
    engagement_id: UUID
    match_id: UUID
    participant_id: UUID
    provider_person_id: UUID
    signed_at: datetime


class SessionAttended(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    session_id: UUID
    match_id: UUID
    participant_id: UUID
    provider_person_id: UUID
    kind: Literal["kickoff", "regular"]
    attended_at: datetime


class MatchEnded(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    match_id: UUID
    program_id: UUID
    participant_id: UUID
    reason: str
    ended_at: datetime
