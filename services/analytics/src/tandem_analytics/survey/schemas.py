"""Survey messages: a participant's NPS after a cohort, a manager's quarterly coaching self-report.

Scores only: a comment, free-text answer or any unknown field is refused with 422 naming it, as vendor
telemetry does, so a survey platform learns at once never to send open answers to analytics.
"""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi.exceptions import RequestValidationError
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from tandem_analytics.telemetry.schemas import errors_of
from tandem_kit.fields import Text

QUARTER_PATTERN = r"^[0-9]{4}-Q[1-4]$"


class NpsAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    program_id: UUID = Field(description="The program the participant took part in.")
    cohort: Text = Field(min_length=1, max_length=100, description="The cohort (id or label) just finished.")
    respondent_id: UUID = Field(description="The participant's person id.")
    score: int = Field(ge=0, le=10, description="How likely to recommend the program, 0-10.")
    responded_at: AwareDatetime = Field(description="When the participant answered.")


class AdoptionAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    program_id: UUID = Field(description="The program whose managers are surveyed.")
    quarter: Text = Field(pattern=QUARTER_PATTERN, description="The quarter reported on, `YYYY-Qn`.")
    respondent_id: UUID = Field(description="The people manager's person id.")
    adopted: bool = Field(description="The manager coaches their team as a routine (self-report).")
    responded_at: AwareDatetime = Field(description="When the manager answered.")


class NpsMessage(BaseModel):
    """`survey.nps`: one participant's answer after a cohort."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["survey.nps"] = Field(description="Message type.")
    timestamp: AwareDatetime | None = Field(default=None, description="When the platform sent it.")
    data: NpsAnswer


class AdoptionMessage(BaseModel):
    """`survey.coaching_adoption`: one manager's quarterly self-report."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["survey.coaching_adoption"] = Field(description="Message type.")
    timestamp: AwareDatetime | None = Field(default=None, description="When the platform sent it.")
    data: AdoptionAnswer


SurveyMessage = NpsMessage | AdoptionMessage
MESSAGE: TypeAdapter[SurveyMessage] = TypeAdapter(Annotated[SurveyMessage, Field(discriminator="type")])
TAGS = frozenset({"survey.nps", "survey.coaching_adoption"})


class SurveyResult(BaseModel):
    id: str = Field(description="The message id (`webhook-id`).")
    duplicate: bool = Field(description="True when this message id was already received: applied once.")
    status: Literal["stored", "superseded", "not_consented", "duplicate"] = Field(
        description="`stored`; `superseded`: a later answer of the same person is kept instead; "
        "`not_consented`: the respondent's `analytics` consent is not granted, nothing was stored; "
        "`duplicate`: the message id was applied before."
    )
    received_at: datetime = Field(description="When the message was first received.")


def parse_message(body: bytes) -> SurveyMessage:
    """Validate one message body; errors name the field (`#/body/data/score`)."""
    try:
        return MESSAGE.validate_json(body)
    except ValidationError as exc:
        errors = errors_of(exc, ())
        for error in errors:
            # The union's tag leads the location of a member's error; the sender never wrote it.
            loc = error["loc"][1:] if error["loc"] and error["loc"][0] in TAGS else error["loc"]
            if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
                loc = ("type",)
            error["loc"] = ("body", *loc)
        raise RequestValidationError(errors) from exc
