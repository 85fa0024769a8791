"""The SCIM resources Tandem serves: the attributes it keeps, as scim2-models classes (docs/hris.md).

Only what the directory stores is published (so a client never writes an attribute that is then
dropped): the core User subset, the Enterprise User extension subset with `manager`, and the Tandem
extension `urn:tandem:params:scim:schemas:extension:tandem:2.0:User` (level, hireDate, location).
"""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import available_timezones

from pydantic import Field
from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    CaseExact,
    ChangePassword,
    ComplexAttribute,
    ETag,
    Extension,
    Filter,
    Mutability,
    Patch,
    Reference,
    Required,
    Resource,
    ResourceType,
    ScimPolicy,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
)

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
TANDEM_SCHEMA = "urn:tandem:params:scim:schemas:extension:tandem:2.0:User"
SCIM_MEDIA_TYPE = "application/scim+json"
ZONES = sorted(available_timezones())


class Name(ComplexAttribute):
    given_name: str | None = None
    """Given name."""

    family_name: str | None = None
    """Family name."""


class Email(ComplexAttribute):
    value: str | None = None
    """The work e-mail address."""

    type: str | None = Field(None, examples=["work"])
    """Only `work` is kept (other addresses are dropped)."""


class User(Resource[Any]):
    """The core User, as far as the directory keeps it."""

    __schema__ = URN(USER_SCHEMA)

    user_name: Annotated[str | None, Uniqueness.server, Required.true] = None
    """Unique identifier for the User, case-insensitive."""

    name: Name | None = None
    """The components of the user's name."""

    display_name: str | None = None
    """The name of the user, suitable for display."""

    title: str | None = None
    """The user's job title."""

    timezone: str | None = Field(None, examples=ZONES)
    """The user's IANA time zone."""

    # Required so that it is never removed; a create or replace that leaves it out means true.
    active: Annotated[bool | None, Required.true] = None
    """False: deprovisioned (left the company or lost access)."""

    emails: list[Email] | None = None
    """The work e-mail (one)."""


class GroupMember(ComplexAttribute):
    value: Annotated[str | None, Mutability.immutable, CaseExact.true] = None
    """The member's id."""

    ref: Annotated[Reference[User] | None, Mutability.immutable] = Field(  # type: ignore[type-arg]
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    """The member's URI."""

    display: Annotated[str | None, Mutability.read_only] = None
    """The member's display name."""


class ScimGroup(Resource[Any]):
    """A group of users the IdP pushes (membership only)."""

    __schema__ = URN(GROUP_SCHEMA)

    display_name: Annotated[str | None, Required.true, Uniqueness.server] = None
    """The group's name."""

    members: list[GroupMember] | None = None
    """The users in the group."""


class Manager(ComplexAttribute):
    value: Annotated[str | None, Required.true, CaseExact.true] = None
    """The id of the manager's User resource."""

    ref: Annotated[Reference[User] | None, Required.false] = Field(  # type: ignore[type-arg]
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    """The URI of the manager's User resource."""

    display_name: Annotated[str | None, Mutability.read_only] = None
    """The manager's display name."""


class EnterpriseUser(Extension):
    __schema__ = URN(ENTERPRISE_SCHEMA)

    employee_number: str | None = None
    """HR employee number."""

    cost_center: str | None = None
    """Cost center."""

    division: str | None = None
    """Division."""

    department: str | None = None
    """Department."""

    manager: Manager | None = None
    """The user's manager (a User of this service)."""


class TandemUser(Extension):
    __schema__ = URN(TANDEM_SCHEMA)

    level: str | None = None
    """Level on the enterprise ladder (GATEWAY_DIRECTORY__LEVELS); its canonical values are the ladder."""

    # An RFC 3339 full-date string, as HRIS exports carry it; the example lets generic clients build one.
    hire_date: str | None = Field(None, examples=["2024-03-01"])
    """Hire date, YYYY-MM-DD."""

    location: str | None = None
    """Work location."""


# What IdPs actually send: attributes Tandem does not keep (name.formatted, phoneNumbers) are dropped,
# a `remove` with a value removes that value, and a replace into `emails[type eq "work"]` creates it.
POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)


def config() -> ServiceProviderConfig:
    return ServiceProviderConfig(
        documentation_uri="https://tandem.dev/docs/hris",
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=1000),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=True),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="OAuth Bearer Token",
                description="A client-credentials token with scope scim:provision, or a provisioning "
                "token an admin issued (POST /api/v1/admin/scim-tokens).",
                primary=True,
            )
        ],
    )


def provider(levels: tuple[str, ...]) -> ScimProvider:
    """The service description; the Tandem extension's `level` lists the configured ladder."""
    tandem = _with_levels(levels)
    return ScimProvider(
        models=[User, EnterpriseUser, tandem, ScimGroup],
        resource_types=[
            ResourceType.from_resource(User[EnterpriseUser | tandem]),  # type: ignore[misc,index,type-arg]
            ResourceType.from_resource(ScimGroup),
        ],
        config=config(),
        policy=POLICY,
    )


def _with_levels(levels: tuple[str, ...]) -> type[TandemUser]:
    class LadderedTandemUser(TandemUser):
        __schema__ = URN(TANDEM_SCHEMA)
        level: str | None = Field(None, examples=list(levels))

    return LadderedTandemUser
