"""The directory's use cases: apply what a source says of a person (diff, version, events), find people,
read a person as they were on a date. Called by SCIM, the HRIS pull connectors and the directory API."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import structlog
from pydantic import BaseModel, Field, SecretStr
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_gateway.directory import repository
from tandem_gateway.directory.domain import JOB_FIELDS, changed_fields, is_promotion, level_rank
from tandem_gateway.directory.schemas import ATTRIBUTES, DirectoryPerson, PersonRecord, stored_values
from tandem_gateway.directory.settings import DirectorySettings
from tandem_gateway.events import (
    JobFacts,
    PersonDeactivated,
    PersonJobChanged,
    PersonProvisioned,
    PersonReactivated,
)
from tandem_gateway.models import Person
from tandem_kit.errors import BadRequest, Conflict, NotFound, ProblemError
from tandem_kit.events import DomainEvent, emit

SOURCES = frozenset({"scim", "workday", "bamboohr", "api"})

log = structlog.get_logger("tandem.gateway.directory")


class InvalidAttribute(BadRequest):
    """A value the directory cannot accept: unknown manager, a manager cycle, a level off the ladder.
    `attribute` names the record field; SCIM answers it as 400 `invalidValue`."""

    code, title = "invalid-attribute", "Invalid attribute value"

    def __init__(self, attribute: str, detail: str) -> None:
        super().__init__(detail, attribute=attribute)
        self.attribute = attribute


class UserNameTaken(Conflict):
    code, title = "user-name-taken", "userName already in use"


class ExternalIdTaken(Conflict):
    code, title = "external-id-taken", "externalId already in use"


class PersonErased(Conflict):
    code, title = "person-erased", "Person erased"


class PersonNotFound(NotFound):
    code, title = "person-not-found", "Person not found"


class VersionMismatch(ProblemError):
    status, code, title = 412, "version-mismatch", "The person changed since the version given"


_settings = DirectorySettings()
_erasure_key = SecretStr("tandem-directory-development-key")


def configure(settings: DirectorySettings, *, erasure_key: SecretStr | None = None) -> None:
    """Set the ladder and promotion rule (the gateway app calls this with `GATEWAY_DIRECTORY__*`) and
    the key erased people's pseudonyms are made with (the deployment's internal secret)."""
    global _settings, _erasure_key
    _settings = settings
    if erasure_key is not None:
        _erasure_key = erasure_key


def current_settings() -> DirectorySettings:
    return _settings


def erased_key(value: str) -> str:
    """The pseudonym an erased person's userName or externalId becomes (lower-cased: userName is
    case-insensitive), keyed so that nobody without the deployment's secret can test a guess."""
    key = _erasure_key.get_secret_value().encode()
    return "erased:" + hmac.new(key, value.lower().encode(), hashlib.sha256).hexdigest()[:48]


@dataclass(frozen=True)
class ApplyResult:
    person: Person
    created: bool
    changed: tuple[str, ...] = ()
    events: tuple[DomainEvent, ...] = field(default=())

    @property
    def unchanged(self) -> bool:
        return not self.created and not self.changed


class PersonState(BaseModel):
    """A person as they were at a moment: the version in force then."""

    person_id: UUID = Field(description="The person.")
    version: int = Field(description="The version in force.")
    effective_at: datetime = Field(description="When that version took effect.")
    source: str = Field(description="Who wrote that version: scim, workday, bamboohr or api.")
    record: PersonRecord = Field(description="The person's attributes in that version.")


def _values(person: Person) -> dict[str, Any]:
    return {name: getattr(person, name) for name in ATTRIBUTES}


def _job(values: dict[str, Any], settings: DirectorySettings) -> JobFacts:
    return JobFacts(
        title=values["title"],
        level=values["level"],
        level_rank=level_rank(settings, values["level"]),
        department=values["department"],
        manager_id=values["manager_id"],
    )


async def _validate(
    session: AsyncSession, person_id: UUID, values: dict[str, Any], settings: DirectorySettings
) -> None:
    level = values["level"]
    if level is not None and level not in settings.levels:
        raise InvalidAttribute("level", f"level {level!r} is not on the ladder: {', '.join(settings.levels)}")
    manager_id = values["manager_id"]
    if manager_id is None:
        return
    if manager_id == person_id:
        raise InvalidAttribute("manager_id", "a person cannot be their own manager")
    if await repository.get(session, manager_id) is None:
        raise InvalidAttribute("manager_id", f"manager {manager_id} is not in the directory")
    if person_id in await repository.manager_chain(session, manager_id):
        raise InvalidAttribute("manager_id", f"manager {manager_id} would make a cycle in the manager chain")


async def _unique(session: AsyncSession, person_id: UUID, values: dict[str, Any]) -> None:
    holder = await repository.user_name_holder(session, values["user_name"])
    if holder is not None and holder != person_id:
        raise UserNameTaken(f"userName {values['user_name']!r} belongs to another person")
    if values["external_id"] is not None:
        holder = await repository.external_id_holder(session, values["external_id"])
        if holder is not None and holder != person_id:
            raise ExternalIdTaken("externalId belongs to another person")


async def _not_erased(session: AsyncSession, values: dict[str, Any]) -> None:
    """Refuse to recreate a person erased at their request (their pseudonyms are keyed hashes)."""
    keys = [values["user_name"], *([values["external_id"]] if values["external_id"] else [])]
    holder = await repository.holder_of_any(session, [erased_key(k) for k in keys])
    if holder is not None:
        raise PersonErased(
            f"this person was erased from the directory at their request (person {holder}); "
            "a rehire comes with a new userName and externalId"
        )


def _events(
    person_id: UUID,
    old: dict[str, Any] | None,
    new: dict[str, Any],
    *,
    source: str,
    effective_at: datetime,
    settings: DirectorySettings,
) -> list[DomainEvent]:
    if old is None:
        return [
            PersonProvisioned(
                person_id=person_id,
                active=new["active"],
                title=new["title"],
                level=new["level"],
                level_rank=level_rank(settings, new["level"]),
                department=new["department"],
                division=new["division"],
                cost_center=new["cost_center"],
                manager_id=new["manager_id"],
                hire_date=new["hire_date"],
                timezone=new["timezone"],
                location=new["location"],
                origin=source,
                occurred_at=effective_at,
            )
        ]
    events: list[DomainEvent] = []
    if any(old[name] != new[name] for name in JOB_FIELDS):
        events.append(
            PersonJobChanged(
                person_id=person_id,
                old=_job(old, settings),
                new=_job(new, settings),
                promotion=is_promotion(settings, old["level"], new["level"]),
                effective_at=effective_at,
                origin=source,
            )
        )
    if old["active"] and not new["active"]:
        events.append(PersonDeactivated(person_id=person_id, deactivated_at=effective_at, origin=source))
    elif not old["active"] and new["active"]:
        events.append(PersonReactivated(person_id=person_id, reactivated_at=effective_at, origin=source))
    return events


async def apply_person(
    session: AsyncSession,
    record: PersonRecord,
    *,
    person_id: UUID | None,
    source: str,
    actor: str,
    effective_at: datetime | None = None,
    expected_version: int | None = None,
    settings: DirectorySettings | None = None,
) -> ApplyResult:
    """Create the person (`person_id` None, or an id not yet in the directory) or update them with the
    fields `record` sets. Writes a version and emits the HR events only when something changed.
    `expected_version` (an If-Match) refuses a write over a newer version (412)."""
    if source not in SOURCES:
        raise ValueError(f"unknown directory source {source!r}")
    settings = settings or _settings
    now = datetime.now(UTC)
    effective = effective_at or now
    person = await repository.get(session, person_id, for_update=True) if person_id is not None else None
    if person is not None and person.erased_at is not None:
        raise PersonErased(
            f"person {person.id} was erased at their request; they cannot be provisioned again"
        )
    if person is not None and expected_version is not None and person.version != expected_version:
        raise VersionMismatch(f"person {person.id} is at version {person.version}, not {expected_version}")

    old = _values(person) if person is not None else None
    given = record.model_dump(include=record.model_fields_set | {"user_name"})
    new = {**old, **given} if old is not None else record.model_dump()
    new = {name: new[name] for name in ATTRIBUTES}
    target_id = person.id if person is not None else (person_id or uuid4())
    changed = changed_fields(old, new) if old is not None else list(ATTRIBUTES)
    if old is not None and not changed:
        return ApplyResult(person=person, created=False)  # type: ignore[arg-type]

    await _validate(session, target_id, new, settings)
    if person is None:
        await _not_erased(session, new)
    await _unique(session, target_id, new)
    if person is None:
        person = Person(id=target_id, version=1, created_at=now, source=source, **new)
        session.add(person)
    else:
        for name in changed:
            setattr(person, name, new[name])
        person.version += 1
        person.source = source
    person.updated_at = now
    try:
        # A concurrent writer may take the same userName between the check and here.
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise UserNameTaken(f"userName {new['user_name']!r} belongs to another person") from exc
    repository.add_version(
        session,
        person,
        source=source,
        actor=actor,
        effective_at=effective,
        changed=changed,
        values=stored_values(new),
    )
    events = _events(person.id, old, new, source=source, effective_at=effective, settings=settings)
    for event in events:
        await emit(session, event)
    await session.flush()
    log.info(
        "gateway.directory.person_applied",
        person_id=str(person.id),
        created=old is None,
        changed=changed,
        source=source,
        events=[type(e).__name__ for e in events],
    )
    return ApplyResult(person=person, created=old is None, changed=tuple(changed), events=tuple(events))


async def find_person(
    session: AsyncSession,
    *,
    email: str | None = None,
    external_id: str | None = None,
    user_name: str | None = None,
) -> Person | None:
    """The person with all the given keys (e-mail and userName case-insensitively), or None."""
    if email is None and external_id is None and user_name is None:
        raise ValueError("find_person needs email, external_id or user_name")
    return await repository.find(session, email=email, external_id=external_id, user_name=user_name)


async def get_person(session: AsyncSession, person_id: UUID) -> Person:
    person = await repository.get(session, person_id)
    if person is None:
        raise PersonNotFound(f"person {person_id} is not in the directory")
    return person


async def facts(session: AsyncSession, person_id: UUID) -> DirectoryPerson:
    """The person's current facts and manager chain (an erased person's stand-in is not found)."""
    person = await repository.get(session, person_id)
    if person is None or person.erased_at is not None:
        raise PersonNotFound(f"person {person_id} is not in the directory")
    return await _facts(session, person)


async def lookup(
    session: AsyncSession, *, emails: list[str], external_ids: list[str]
) -> list[DirectoryPerson]:
    people = await repository.by_emails_or_external_ids(session, emails=emails, external_ids=external_ids)
    return [await _facts(session, person) for person in people if person.erased_at is None]


async def _facts(session: AsyncSession, person: Person) -> DirectoryPerson:
    return DirectoryPerson(
        person_id=person.id,
        active=person.active,
        title=person.title,
        level=person.level,
        level_rank=level_rank(_settings, person.level),
        department=person.department,
        division=person.division,
        cost_center=person.cost_center,
        manager_id=person.manager_id,
        hire_date=person.hire_date,
        timezone=person.timezone,
        location=person.location,
        manager_chain=await repository.manager_chain(session, person.id),
    )


async def manager_chain(session: AsyncSession, person_id: UUID) -> list[UUID]:
    """The person's managers, nearest first."""
    return await repository.manager_chain(session, person_id)


async def person_at(session: AsyncSession, person_id: UUID, at: datetime) -> PersonState | None:
    """The person as they were at `at` (the latest version effective by then); None before they existed."""
    version = await repository.version_at(session, person_id, at)
    if version is None:
        return None
    return PersonState(
        person_id=person_id,
        version=version.version,
        effective_at=version.effective_at,
        source=version.source,
        record=PersonRecord.model_validate(version.values),
    )
