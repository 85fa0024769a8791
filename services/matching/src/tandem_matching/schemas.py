"""Field types shared by several modules' schemas: working hours, time zones, vocabularies."""

import re
from typing import Annotated, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from tandem_kit.fields import Text, refuse_nul
from tandem_matching.vocabulary import BEHAVIOURAL_FOCUS, SKILLS

_HHMM = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{value!r} is not an IANA time zone") from exc
    return value


def _skills(value: dict[str, int]) -> dict[str, int]:
    unknown = sorted(set(value) - SKILLS)
    if unknown:
        raise ValueError(f"unknown skills {unknown}; allowed: {sorted(SKILLS)}")
    return value


def _focus(value: list[str]) -> list[str]:
    unknown = sorted(set(value) - BEHAVIOURAL_FOCUS)
    if unknown:
        raise ValueError(f"unknown focus areas {unknown}; allowed: {sorted(BEHAVIOURAL_FOCUS)}")
    return sorted(set(value))


Timezone = Annotated[
    Text, Field(description="IANA time zone, e.g. Europe/London."), AfterValidator(_timezone)
]
SkillLevels = Annotated[
    dict[Text, Annotated[int, Field(ge=1, le=5)]],
    Field(description="Skill key (controlled vocabulary) to level 1..5."),
    AfterValidator(_skills),
]
FocusAreas = Annotated[
    list[Text], Field(description="Behavioural focus areas (controlled vocabulary)."), AfterValidator(_focus)
]
Language = Annotated[
    str, Field(pattern=r"^[a-z]{2,3}$", description="ISO 639 language code."), AfterValidator(refuse_nul)
]


class WorkingHoursBlock(BaseModel):
    """One weekly block of working time in the person's own time zone."""

    model_config = ConfigDict(extra="forbid")

    weekday: int = Field(ge=0, le=6, description="0 = Monday .. 6 = Sunday.")
    start: Text = Field(pattern=_HHMM.pattern, description="Local start time, HH:MM.")
    end: Text = Field(pattern=_HHMM.pattern, description="Local end time, HH:MM (24:00 allowed).")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.start >= self.end:
            raise ValueError("end must be after start")
        return self
