"""The directory's records: what a provisioning source (SCIM, a pull connector, the API) says of a person."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from tandem_kit.fields import Text

_ZONES = frozenset(available_timezones())


def _iana(value: str) -> str:
    if value not in _ZONES:
        raise ValueError(f"{value!r} is not an IANA time zone")
    return value


Short = Annotated[Text, Field(max_length=255)]
TimeZone = Annotated[Text, Field(max_length=64), AfterValidator(_iana)]

# The person's attributes as stored, in the order they appear in a version row's `values`.
ATTRIBUTES = (
    "external_id",
    "user_name",
    "given_name",
    "family_name",
    "display_name",
    "email",
    "active",
    "employee_number",
    "title",
    "level",
    "department",
    "division",
    "cost_center",
    "manager_id",
    "hire_date",
    "location",
    "timezone",
)


class PersonRecord(BaseModel):
    """A person as one source states them. On an update only the fields the source set are applied
    (`model_fields_set`): a connector that knows no `level` leaves the stored level alone; SCIM PUT sets
    every field, so an attribute it omits is cleared."""

    model_config = ConfigDict(extra="forbid")

    user_name: Short = Field(min_length=1, description="SCIM `userName`: unique, case-insensitive.")
    external_id: Short | None = Field(default=None, description="The HRIS or IdP's own id for the person.")
    given_name: Short | None = Field(default=None, description="Given name.")
    family_name: Short | None = Field(default=None, description="Family name.")
    display_name: Short | None = Field(default=None, description="Name for display.")
    email: Annotated[Text, Field(max_length=320)] | None = Field(default=None, description="Work e-mail.")
    active: bool = Field(default=True, description="False: left the company or lost access.")
    employee_number: Short | None = Field(default=None, description="HR employee number.")
    title: Short | None = Field(default=None, description="Job title.")
    level: Annotated[Text, Field(max_length=64)] | None = Field(
        default=None, description="Level on the configured ladder (`GATEWAY_DIRECTORY__LEVELS`)."
    )
    department: Short | None = Field(default=None, description="Department.")
    division: Short | None = Field(default=None, description="Division.")
    cost_center: Short | None = Field(default=None, description="Cost center.")
    manager_id: UUID | None = Field(
        default=None, description="The manager's `person_id` (a directory person)."
    )
    hire_date: date | None = Field(default=None, description="Hire date.")
    location: Short | None = Field(default=None, description="Work location.")
    timezone: TimeZone | None = Field(default=None, description="IANA time zone, e.g. `Europe/Paris`.")


def stored_values(values: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready values of a version row (UUIDs and dates as strings)."""
    return {
        key: (str(value) if isinstance(value, UUID | date) else value)
        for key, value in values.items()
        if key in ATTRIBUTES
    }


class DirectoryPerson(BaseModel):
    """A person's current directory facts (the `PersonProvisioned` fields) and their manager chain."""

    person_id: UUID = Field(description="The Tandem person id.")
    active: bool = Field(description="False: deprovisioned.")
    title: str | None = Field(description="Job title.")
    level: str | None = Field(description="Level on the ladder.")
    level_rank: int | None = Field(description="1-based position of the level on the ladder (1 = lowest).")
    department: str | None = Field(description="Department.")
    division: str | None = Field(description="Division.")
    cost_center: str | None = Field(description="Cost center.")
    manager_id: UUID | None = Field(description="The manager's person id.")
    hire_date: date | None = Field(description="Hire date.")
    timezone: str | None = Field(description="IANA time zone.")
    location: str | None = Field(description="Work location.")
    manager_chain: list[UUID] = Field(description="The managers above the person, nearest first.")


class PeopleLookup(BaseModel):
    """Find people by work e-mail (case-insensitive) or by externalId."""

    model_config = ConfigDict(extra="forbid")

    emails: list[Annotated[Text, Field(max_length=320)]] = Field(
        default_factory=list, max_length=100, description="Work e-mail addresses."
    )
    external_ids: list[Short] = Field(default_factory=list, max_length=100, description="HRIS/IdP ids.")


class PeopleFound(BaseModel):
    people: list[DirectoryPerson] = Field(description="The people found (each once), in no given order.")
