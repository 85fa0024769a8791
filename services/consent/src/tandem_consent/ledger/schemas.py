from datetime import datetime
from typing import TYPE_CHECKING, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from tandem_consent.ledger.domain import Action, Method
from tandem_consent.schemas import Evidence, FieldKeys
from tandem_kit.fields import Int4, Text

if TYPE_CHECKING:
    from tandem_consent.ledger.service import PersonConsent

CaptureMethod = Literal["web_form", "mobile_app", "email", "paper_form", "hris_import", "api"]


class _Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: CaptureMethod = Field(default="api", description="How the decision was captured.")
    occurred_at: datetime | None = Field(
        default=None,
        description="When the person made the decision (ISO 8601 with offset); defaults to now. "
        "Must not be older than their latest recorded decision for the purpose.",
    )
    evidence_reference: Text | None = Field(
        default=None,
        max_length=500,
        description="Where the evidence lives: form submission id, document URL.",
    )
    evidence: Evidence = Field(
        default_factory=dict,
        description="Capture details (user agent, locale, form version); removed on erasure.",
    )


class ConsentGrant(_Decision):
    notice_version: Int4 = Field(
        ge=1, description="The notice version the person was shown; must be current."
    )
    fields: FieldKeys | None = Field(
        default=None,
        description="Fields the person agrees to, from the notice; omitted means every field the notice "
        "documents except confidential ones, which are covered only when named.",
    )


class ConsentWithdrawal(_Decision):
    reason: Text | None = Field(default=None, max_length=2000, description="Why, when the person said.")


class ConsentState(BaseModel):
    person_id: UUID = Field(description="The person (HRIS directory id).")
    purpose: str = Field(description="Purpose key.")
    granted: bool = Field(description="Whether the purpose may use the person's data now.")
    notice_version: int | None = Field(description="Notice version the standing grant was given to.")
    current_notice_version: int = Field(
        description="The purpose's current notice version; ask again when it is newer than `notice_version`."
    )
    fields: list[str] = Field(description="Fields the standing grant covers (empty when not granted).")
    granted_at: datetime | None = Field(description="When the person last granted.")
    withdrawn_at: datetime | None = Field(description="When the person last withdrew.")
    sequence: int = Field(description="How many decisions are on record (0: never asked).")

    @classmethod
    def of(cls, standing: "PersonConsent") -> "ConsentState":
        state, snapshot = standing.state, standing.snapshot
        return cls(
            person_id=standing.person_id,
            purpose=standing.purpose.key,
            granted=snapshot.granted,
            notice_version=snapshot.notice_version,
            current_notice_version=standing.purpose.notice_version,
            fields=list(snapshot.fields),
            granted_at=state and state.granted_at,
            withdrawn_at=state and state.withdrawn_at,
            sequence=state.sequence if state else 0,
        )


class ConsentRecord(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="Ledger record id.")
    person_id: UUID = Field(description="The person.")
    purpose: str = Field(validation_alias="purpose_key", description="Purpose key.")
    sequence: int = Field(description="Position in this person's ledger for the purpose, from 1.")
    action: Action = Field(description="`granted` or `withdrawn`.")
    notice_version: int | None = Field(description="Notice version granted (or the grant withdrawn).")
    fields: list[str] = Field(description="Fields granted (empty for a withdrawal).")
    method: Method = Field(description="How the decision was captured.")
    occurred_at: datetime = Field(description="When the person made the decision.")
    recorded_at: datetime = Field(description="When Tandem recorded it.")
    recorded_by: str = Field(description="Token subject that recorded it.")
    client_id: str = Field(description="OAuth client that recorded it.")
    on_behalf: bool = Field(description="Whether someone other than the person recorded it.")
    reason: str | None = Field(description="Reason given for a withdrawal.")
    evidence_reference: str | None = Field(description="Where the evidence lives.")
    evidence: dict[str, str] = Field(description="Capture details.")


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_ids: list[UUID] = Field(min_length=1, max_length=5000, description="People to check.")
    purpose: Text = Field(min_length=1, max_length=64, description="Purpose key, e.g. `matching`.")


class CheckResult(BaseModel):
    person_id: UUID = Field(description="The person.")
    purpose: str = Field(description="Purpose key.")
    granted: bool = Field(description="Whether the purpose may use the person's data.")
    notice_version: int | None = Field(description="Notice version of the standing grant.")
    fields: list[str] = Field(
        description="Data-inventory fields the purpose may use for the person (empty when not granted)."
    )


class CheckResponse(BaseModel):
    results: list[CheckResult] = Field(description="One result per person id, in request order.")
