from typing import Self
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, model_validator


class BusyInterval(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.end <= self.start:
            raise ValueError("a busy interval ends after it starts")
        return self


class CalendarBusyChanged(BaseModel):
    """What scheduling reads of the gateway's `CalendarBusyChanged` (docs/contracts.md)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    person_id: UUID
    window_start: AwareDatetime
    window_end: AwareDatetime
    busy: list[BusyInterval]
