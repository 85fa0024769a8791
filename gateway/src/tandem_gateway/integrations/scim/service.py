"""SCIM use cases: Users (through the directory's apply_person) and Groups, with If-Match versions.

Errors are scim2-models exceptions (the endpoints render them as SCIM Error bodies); the directory's
domain errors are translated here: unknown manager, manager cycle, unknown level -> 400 invalidValue
naming the SCIM attribute, a taken userName -> 409 uniqueness, a stale If-Match -> 412.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from scim2_models import (
    Context,
    InvalidValueException,
    Meta,
    NotFoundException,
    PatchOp,
    PreconditionFailedException,
    Resource,
    ScimFilter,
    ScimProvider,
    UniquenessException,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_gateway.directory import service as directory
from tandem_gateway.integrations.scim import repository
from tandem_gateway.integrations.scim.convert import SCIM_ATTRIBUTES, etag, to_record, to_user
from tandem_gateway.integrations.scim.filters import GROUP_SCHEMAS, where
from tandem_gateway.integrations.scim.resources import ENTERPRISE_SCHEMA, GroupMember, ScimGroup
from tandem_gateway.models import Group, Person

SOURCE = "scim"


@dataclass(frozen=True)
class Listing:
    resources: Sequence[Resource[Any]]
    total: int
    start_index: int


def parse_if_match(header: str | None) -> int | None:
    """The version an If-Match names (`W/"3"`, `"3"`); None for no header or `*`."""
    if header is None or header.strip() == "*":
        return None
    tag = header.split(",")[0].strip().removeprefix("W/").strip('"')
    try:
        return int(tag)
    except ValueError as exc:
        raise PreconditionFailedException(
            detail=f"If-Match {header!r} names no version of this resource"
        ) from exc


@contextmanager
def _directory_errors() -> Iterator[None]:
    try:
        yield
    except directory.InvalidAttribute as exc:
        name = SCIM_ATTRIBUTES.get(exc.attribute, exc.attribute)
        raise InvalidValueException(detail=f"{name}: {exc.detail}") from exc
    except (directory.UserNameTaken, directory.ExternalIdTaken) as exc:
        raise UniquenessException(detail=str(exc.detail)) from exc
    except directory.VersionMismatch as exc:
        raise PreconditionFailedException(detail=str(exc.detail)) from exc
    except directory.PersonErased as exc:
        raise UniquenessException(detail=str(exc.detail)) from exc


async def _visible(session: AsyncSession, person_id: str) -> Person:
    try:
        found = await repository.person(session, UUID(person_id))
    except ValueError:
        found = None
    if found is None:
        raise NotFoundException(detail=f"User {person_id} not found")
    return found


async def get_user(session: AsyncSession, provider: ScimProvider, base_url: str, person_id: str) -> Any:
    return to_user(await _visible(session, person_id), provider, base_url)


async def list_users(
    session: AsyncSession,
    provider: ScimProvider,
    base_url: str,
    *,
    filter_text: str | None,
    start_index: int,
    count: int,
) -> Listing:
    condition = None
    if filter_text:
        model = provider.model_for("User")
        condition = where(ScimFilter[model](filter_text).ast)  # type: ignore[valid-type]
    people, total = await repository.page_of_people(session, condition, offset=start_index - 1, limit=count)
    return Listing([to_user(p, provider, base_url) for p in people], total, start_index)


async def create_user(
    session: AsyncSession, provider: ScimProvider, base_url: str, actor: str, user: Any
) -> Any:
    record = to_record(user, provider)
    # A user deleted over SCIM and created again is the same person (their person_id and history).
    revived = await repository.deleted_holder(session, record.user_name)
    with _directory_errors():
        result = await directory.apply_person(
            session, record, person_id=revived.id if revived else None, source=SOURCE, actor=actor
        )
    result.person.deleted_at = None
    await session.flush()
    return to_user(result.person, provider, base_url)


async def replace_user(
    session: AsyncSession,
    provider: ScimProvider,
    base_url: str,
    actor: str,
    person_id: str,
    user: Any,
    *,
    if_match: str | None,
) -> Any:
    person = await _visible(session, person_id)
    record = to_record(user, provider)
    with _directory_errors():
        result = await directory.apply_person(
            session,
            record,
            person_id=person.id,
            source=SOURCE,
            actor=actor,
            expected_version=parse_if_match(if_match),
        )
    return to_user(result.person, provider, base_url)


async def patch_user(
    session: AsyncSession,
    provider: ScimProvider,
    base_url: str,
    actor: str,
    person_id: str,
    body: dict[str, Any],
    *,
    if_match: str | None,
) -> Any:
    person = await _visible(session, person_id)
    expected = parse_if_match(if_match)
    if expected is not None and expected != person.version:
        raise PreconditionFailedException(
            detail=f"User {person_id} is at version {person.version}, not {expected}"
        )
    model = provider.model_for("User")
    user = to_user(person, provider, base_url)
    body = _bare_manager_ids(body)
    operations = PatchOp[model].model_validate(body, scim_ctx=Context.RESOURCE_PATCH_REQUEST)  # type: ignore[valid-type]
    with provider:
        operations.patch(user)
    record = to_record(user, provider)
    with _directory_errors():
        result = await directory.apply_person(
            session, record, person_id=person.id, source=SOURCE, actor=actor, expected_version=expected
        )
    return to_user(result.person, provider, base_url)


MANAGER_PATH = f"{ENTERPRISE_SCHEMA}:manager".lower()


def _bare_manager_ids(body: dict[str, Any]) -> dict[str, Any]:
    """Entra ID sends the manager as the id itself (`"value": "<id>"`); SCIM says `{"value": "<id>"}`."""
    operations = body.get("Operations")
    if not isinstance(operations, list):
        return body
    fixed = []
    for operation in operations:
        if (
            isinstance(operation, dict)
            and str(operation.get("path", "")).lower() == MANAGER_PATH
            and isinstance(operation.get("value"), str)
        ):
            operation = {**operation, "value": {"value": operation["value"]}}
        fixed.append(operation)
    return {**body, "Operations": fixed}


async def delete_user(session: AsyncSession, provider: ScimProvider, actor: str, person_id: str) -> None:
    """Deprovision: the person is deactivated (PersonDeactivated) and leaves /scim/v2; the directory
    keeps their person_id and history."""
    person = await _visible(session, person_id)
    record = to_record(to_user(person, provider, ""), provider).model_copy(update={"active": False})
    with _directory_errors():
        await directory.apply_person(session, record, person_id=person.id, source=SOURCE, actor=actor)
    person.deleted_at = datetime.now(UTC)
    await session.flush()


# Groups


def _group_resource(group: Group, members: list[tuple[UUID, str | None]], base_url: str) -> ScimGroup:
    return ScimGroup(
        id=str(group.id),
        external_id=group.external_id,
        display_name=group.display_name,
        members=[
            GroupMember(value=str(pid), ref=f"{base_url}/Users/{pid}", display=name) for pid, name in members
        ]
        or None,
        meta=Meta(
            resource_type="Group",
            created=group.created_at,
            last_modified=group.updated_at,
            version=etag(group.version),
            location=f"{base_url}/Groups/{group.id}",
        ),
    )


async def _group(session: AsyncSession, group_id: str) -> Group:
    try:
        found = await repository.group(session, UUID(group_id))
    except ValueError:
        found = None
    if found is None:
        raise NotFoundException(detail=f"Group {group_id} not found")
    return found


async def _member_ids(session: AsyncSession, group: ScimGroup) -> set[UUID]:
    wanted: set[UUID] = set()
    for member in group.members or []:
        try:
            wanted.add(UUID(str(member.value)))
        except ValueError as exc:
            raise InvalidValueException(detail=f"members: {member.value!r} is not a User id") from exc
    missing = wanted - await repository.existing_people(session, wanted)
    if missing:
        raise InvalidValueException(detail=f"members: {', '.join(sorted(map(str, missing)))} are not Users")
    return wanted


async def _save_group(session: AsyncSession, group: Group, resource: ScimGroup, base_url: str) -> ScimGroup:
    members = await _member_ids(session, resource)
    holder = await repository.group_by_name(session, str(resource.display_name))
    if holder is not None and holder.id != group.id:
        raise UniquenessException(detail=f"displayName {resource.display_name!r} belongs to another group")
    group.display_name = str(resource.display_name)
    group.external_id = resource.external_id
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise UniquenessException(detail="displayName or externalId belongs to another group") from exc
    await repository.set_members(session, group.id, members)
    listed = await repository.members(session, [group.id])
    return _group_resource(group, listed[group.id], base_url)


async def get_group(session: AsyncSession, base_url: str, group_id: str) -> ScimGroup:
    group = await _group(session, group_id)
    listed = await repository.members(session, [group.id])
    return _group_resource(group, listed[group.id], base_url)


async def list_groups(
    session: AsyncSession, base_url: str, *, filter_text: str | None, start_index: int, count: int
) -> Listing:
    condition = where(ScimFilter[ScimGroup](filter_text).ast, GROUP_SCHEMAS) if filter_text else None
    groups, total = await repository.page_of_groups(session, condition, offset=start_index - 1, limit=count)
    listed = await repository.members(session, [g.id for g in groups])
    return Listing([_group_resource(g, listed[g.id], base_url) for g in groups], total, start_index)


async def create_group(session: AsyncSession, base_url: str, resource: ScimGroup) -> ScimGroup:
    now = datetime.now(UTC)
    group = Group(display_name=str(resource.display_name), version=1, created_at=now, updated_at=now)
    session.add(group)
    return await _save_group(session, group, resource, base_url)


async def replace_group(
    session: AsyncSession, base_url: str, group_id: str, resource: ScimGroup, *, if_match: str | None
) -> ScimGroup:
    group = await _group(session, group_id)
    expected = parse_if_match(if_match)
    if expected is not None and expected != group.version:
        raise PreconditionFailedException(
            detail=f"Group {group_id} is at version {group.version}, not {expected}"
        )
    before = await get_group(session, base_url, group_id)
    after = await _save_group(session, group, resource, base_url)
    if _comparable(before) != _comparable(after):
        group.version += 1
        group.updated_at = datetime.now(UTC)
        await session.flush()
    return await get_group(session, base_url, group_id)


async def patch_group(
    session: AsyncSession, base_url: str, group_id: str, body: dict[str, Any], *, if_match: str | None
) -> ScimGroup:
    resource = await get_group(session, base_url, group_id)
    operations = PatchOp[ScimGroup].model_validate(body, scim_ctx=Context.RESOURCE_PATCH_REQUEST)
    operations.patch(resource)
    return await replace_group(session, base_url, group_id, resource, if_match=if_match)


async def delete_group(session: AsyncSession, group_id: str) -> None:
    group = await _group(session, group_id)
    await session.delete(group)
    await session.flush()


def _comparable(group: ScimGroup) -> tuple[Any, ...]:
    return (group.display_name, group.external_id, sorted(str(m.value) for m in group.members or []))
