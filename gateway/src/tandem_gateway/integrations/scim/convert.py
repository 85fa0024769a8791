"""A directory person as a SCIM User and back; the SCIM name of each directory attribute."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import ValidationError
from scim2_models import InvalidValueException, Meta, ScimProvider

from tandem_gateway.directory.schemas import PersonRecord
from tandem_gateway.integrations.scim.resources import (
    ENTERPRISE_SCHEMA,
    TANDEM_SCHEMA,
    Email,
    EnterpriseUser,
    Manager,
    Name,
)
from tandem_gateway.models import Person

# Directory attribute -> the SCIM attribute path an error names.
SCIM_ATTRIBUTES = {
    "user_name": "userName",
    "external_id": "externalId",
    "given_name": "name.givenName",
    "family_name": "name.familyName",
    "display_name": "displayName",
    "email": "emails",
    "active": "active",
    "title": "title",
    "timezone": "timezone",
    "employee_number": f"{ENTERPRISE_SCHEMA}:employeeNumber",
    "cost_center": f"{ENTERPRISE_SCHEMA}:costCenter",
    "division": f"{ENTERPRISE_SCHEMA}:division",
    "department": f"{ENTERPRISE_SCHEMA}:department",
    "manager_id": f"{ENTERPRISE_SCHEMA}:manager",
    "level": f"{TANDEM_SCHEMA}:level",
    "hire_date": f"{TANDEM_SCHEMA}:hireDate",
    "location": f"{TANDEM_SCHEMA}:location",
}


def etag(version: int) -> str:
    return f'W/"{version}"'


def tandem_extension(provider: ScimProvider) -> type[Any]:
    model = provider.model_for(TANDEM_SCHEMA)
    assert model is not None
    return model


def to_user(person: Person, provider: ScimProvider, base_url: str) -> Any:
    """The person as a User of the provider's composed model (with its extensions)."""
    model: Any = provider.model_for("User")
    user = model(
        id=str(person.id),
        external_id=person.external_id,
        user_name=person.user_name,
        name=Name(given_name=person.given_name, family_name=person.family_name)
        if person.given_name or person.family_name
        else None,
        display_name=person.display_name,
        title=person.title,
        timezone=person.timezone,
        active=person.active,
        emails=[Email(value=person.email, type="work")] if person.email else None,
        meta=Meta(
            resource_type="User",
            created=person.created_at,
            last_modified=person.updated_at,
            version=etag(person.version),
            location=f"{base_url}/Users/{person.id}",
        ),
    )
    enterprise = EnterpriseUser(
        employee_number=person.employee_number,
        cost_center=person.cost_center,
        division=person.division,
        department=person.department,
        manager=Manager(value=str(person.manager_id), ref=f"{base_url}/Users/{person.manager_id}")
        if person.manager_id
        else None,
    )
    if enterprise.model_dump(exclude_none=True, scim_ctx=None, exclude={"schemas"}):
        user[EnterpriseUser] = enterprise
    tandem_model = tandem_extension(provider)
    tandem = tandem_model(
        level=person.level,
        hire_date=person.hire_date.isoformat() if person.hire_date else None,
        location=person.location,
    )
    if person.level or person.hire_date or person.location:
        user[tandem_model] = tandem
    return user


def _work_email(user: Any) -> str | None:
    emails = [e for e in (user.emails or []) if e.value]
    chosen = next((e for e in emails if (e.type or "").lower() == "work"), None) or (
        emails[0] if emails else None
    )
    return str(chosen.value) if chosen else None


def _manager_id(enterprise: Any) -> UUID | None:
    manager = enterprise.manager if enterprise else None
    if manager is None or not manager.value:
        return None
    try:
        return UUID(str(manager.value))
    except ValueError as exc:
        raise InvalidValueException(
            detail=f"{SCIM_ATTRIBUTES['manager_id']}: {manager.value!r} is not a User id of this service"
        ) from exc


def to_record(user: Any, provider: ScimProvider) -> PersonRecord:
    """Every directory attribute from the User (absent ones as None: PUT and POST replace)."""
    enterprise = user[EnterpriseUser]
    tandem = user[tandem_extension(provider)]
    name = user.name
    values: dict[str, Any] = {
        "user_name": user.user_name,
        "external_id": user.external_id,
        "given_name": name.given_name if name else None,
        "family_name": name.family_name if name else None,
        "display_name": user.display_name,
        "email": _work_email(user),
        "active": True if user.active is None else user.active,
        "title": user.title,
        "timezone": user.timezone,
        "employee_number": enterprise.employee_number if enterprise else None,
        "cost_center": enterprise.cost_center if enterprise else None,
        "division": enterprise.division if enterprise else None,
        "department": enterprise.department if enterprise else None,
        "manager_id": _manager_id(enterprise),
        "level": tandem.level if tandem else None,
        "hire_date": tandem.hire_date if tandem else None,
        "location": tandem.location if tandem else None,
    }
    try:
        return PersonRecord.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        raise InvalidValueException(detail=f"{SCIM_ATTRIBUTES.get(field, field)}: {first['msg']}") from exc
