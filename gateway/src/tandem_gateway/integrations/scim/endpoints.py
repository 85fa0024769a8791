"""SCIM 2.0 at /scim/v2 (RFC 7643/7644) and the admin API of provisioning tokens.

Every answer under /scim/v2 is `application/scim+json`, errors included (SCIM Error bodies with
`status` as a string and `scimType`): the routes use `ScimRoute`, which renders whatever a route or
its dependencies raise in SCIM's format instead of problem+json.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import structlog
from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from scim2_models import (
    Context,
    Error,
    InvalidSyntaxException,
    InvalidValueException,
    NotFoundException,
    NotImplementedException,
    Resource,
    ResponseParameters,
    SCIMException,
    ScimProvider,
    SearchRequest,
)
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_gateway.integrations.scim import resources, service, tokens
from tandem_gateway.integrations.scim.auth import Provisioner
from tandem_gateway.oauth.auth import Admin
from tandem_kit.db import SessionDep
from tandem_kit.errors import ProblemError
from tandem_kit.fields import INT4_MAX, INT4_MIN, Int4, Text, nul_at
from tandem_kit.openapi import problems
from tandem_kit.pagination import Page, PageQuery, page_of

log = structlog.get_logger("tandem.gateway.scim")

MAX_COUNT = 1000
DEFAULT_COUNT = 100  # results per page when the client names no count (GET and /.search)
FILTER_MAX_LENGTH = 4096
ATTRIBUTES_MAX_LENGTH = 2048
SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


class ScimResponse(JSONResponse):
    media_type = resources.SCIM_MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":")).encode()


def scim_error(
    status_code: int, detail: str, scim_type: str | None = None, headers: dict[str, str] | None = None
) -> ScimResponse:
    error = Error(status=status_code, scim_type=scim_type, detail=detail)
    return ScimResponse(error.model_dump(scim_ctx=Context.DEFAULT), status_code=status_code, headers=headers)


class ScimRoute(APIRoute):
    """A route whose errors, from validation, auth or the handler, are SCIM Error bodies."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                with _provider(request):
                    return await handler(request)
            except SCIMException as exc:
                return scim_error(exc.status, exc.detail, exc.scim_type or None)
            except ValidationError as exc:
                error = Error.from_validation_errors(exc)[0]
                return scim_error(400, str(error.detail), error.scim_type or "invalidValue")
            except RequestValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(part) for part in first.get("loc", ()))
                return scim_error(400, f"{where}: {first.get('msg')}", "invalidValue")
            except ProblemError as exc:
                return scim_error(exc.status, exc.detail or exc.title, headers=exc.headers)

        return handle


SCIM_ERROR_SCHEMA = {
    "type": "object",
    "required": ["schemas", "status"],
    "properties": {
        "schemas": {"type": "array", "items": {"type": "string"}},
        "status": {"type": "string", "description": "The HTTP status, as a string (RFC 7644 §3.12)."},
        "scimType": {"type": "string"},
        "detail": {"type": "string"},
    },
}
# Every SCIM answer is application/scim+json, errors in SCIM's own format (RFC 7644 §3.12).
SCIM_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": title, "content": {resources.SCIM_MEDIA_TYPE: {"schema": SCIM_ERROR_SCHEMA}}}
    for code, title in (
        (400, "invalidFilter, invalidSyntax, invalidValue, ... (`scimType`)"),
        (401, "No or an invalid bearer token"),
        (403, "The token lacks scim:provision"),
        (404, "No such resource"),
        (409, "uniqueness: the userName (or group name) is taken"),
        (411, "A body without a length"),
        (412, "If-Match names a stale version"),
        (413, "The body is too large"),
        (503, "The directory's database is unavailable"),
    )
}
router = APIRouter(
    prefix="/scim/v2",
    tags=["scim"],
    route_class=ScimRoute,
    default_response_class=ScimResponse,
    responses=SCIM_ERRORS,
)
admin_router = APIRouter(prefix="/api/v1/admin/scim-tokens", tags=["admin"])


def _provider(request: Request) -> ScimProvider:
    cached: ScimProvider | None = getattr(request.app.state, "scim_provider", None)
    if cached is None:
        cached = resources.provider(request.app.state.settings.directory.levels)
        request.app.state.scim_provider = cached
    return cached


def _base_url(request: Request) -> str:
    return str(request.app.state.settings.issuer).rstrip("/") + "/scim/v2"


async def _user_body(request: Request) -> dict[str, Any]:
    """A User to create or replace; `active` left out means true (IdPs do not always send it)."""
    body = await _body(request)
    if not any(key.lower() == "active" for key in body):
        body["active"] = True
    return body


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as exc:
        raise InvalidSyntaxException(detail="the body is not JSON") from exc
    if not isinstance(body, dict):
        raise InvalidSyntaxException(detail="the body must be a JSON object")
    return body


def _shown(
    resource: Resource[Any] | Any,
    context: Context,
    attributes: str | None,
    excluded: str | None,
    provider: ScimProvider,
) -> dict[str, Any]:
    if not attributes and not excluded:
        plain: dict[str, Any] = resource.model_dump(scim_ctx=context)
        return plain
    parameters = ResponseParameters[type(resource)].model_validate(  # type: ignore[misc]
        {"attributes": attributes, "excludedAttributes": excluded}
    )
    with provider:
        dumped: dict[str, Any] = resource.model_dump(scim_ctx=context, response_parameters=parameters)
    return dumped


def _resource_response(
    resource: Any,
    provider: ScimProvider,
    *,
    context: Context,
    status_code: int = 200,
    attributes: str | None = None,
    excluded: str | None = None,
) -> ScimResponse:
    headers = {"ETag": resource.meta.version} if resource.meta and resource.meta.version else {}
    if status_code == 201 and resource.meta and resource.meta.location:
        headers["Location"] = str(resource.meta.location)
    return ScimResponse(
        _shown(resource, context, attributes, excluded, provider), status_code=status_code, headers=headers
    )


def _list_response(
    listing: service.Listing, provider: ScimProvider, attributes: str | None, excluded: str | None
) -> ScimResponse:
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": listing.total,
        "startIndex": listing.start_index,
        "itemsPerPage": len(listing.resources),
        "Resources": [
            _shown(r, Context.SEARCH_RESPONSE, attributes, excluded, provider) for r in listing.resources
        ],
    }
    return ScimResponse(body)


FilterQuery = Query(
    default=None,
    alias="filter",
    max_length=FILTER_MAX_LENGTH,
    description="A SCIM filter (RFC 7644 §3.4.2.2).",
)
StartIndex = Annotated[Int4, Query(alias="startIndex", description="1-based index of the first result.")]
Count = Annotated[Int4, Query(description=f"Results per page (at most {MAX_COUNT}).")]
AttributesQuery = Query(
    default=None, max_length=ATTRIBUTES_MAX_LENGTH, description="Attributes to return, comma-separated."
)
ExcludedQuery = Query(
    default=None,
    alias="excludedAttributes",
    max_length=ATTRIBUTES_MAX_LENGTH,
    description="Attributes to leave out.",
)
IfMatch = Header(default=None, alias="If-Match", max_length=256, description="The version to update (ETag).")


def _paging(start_index: int, count: int) -> tuple[int, int]:
    return max(start_index, 1), min(max(count, 0), MAX_COUNT)


@dataclass(frozen=True)
class Search:
    """A query, from a GET's parameters or a `/.search` body: the same limits, defaults and paging."""

    filter_text: str | None
    start_index: int
    count: int
    attributes: str | None
    excluded: str | None


# The search body's copy of SearchRequest's schema for the OpenAPI document (the body is read by hand:
# its errors are SCIM's, and the filter is checked against the served resource type).
SEARCH_REQUEST_BODY = {
    "required": True,
    "content": {
        resources.SCIM_MEDIA_TYPE: {
            "schema": {
                "type": "object",
                "required": ["schemas"],
                "properties": {
                    "schemas": {"type": "array", "items": {"type": "string", "enum": [SEARCH_REQUEST]}},
                    "filter": {"type": "string", "maxLength": FILTER_MAX_LENGTH},
                    "startIndex": {"type": "integer"},
                    "count": {"type": "integer"},
                    "attributes": {"type": "array", "items": {"type": "string"}},
                    "excludedAttributes": {"type": "array", "items": {"type": "string"}},
                    "sortBy": {"type": "string", "description": "Checked, then ignored (no sorting)."},
                    "sortOrder": {"type": "string", "enum": ["ascending", "descending"]},
                },
            }
        }
    },
}


async def _search(request: Request, model: type[Any]) -> Search:
    """A `SearchRequest` body (RFC 7644 §3.4.3) as the query of the GET on the same resource type.
    Its `sortBy`/`sortOrder` are validated and ignored, as the GET ignores them (`sort.supported` is
    false); so is a `cursor` (no cursor paging)."""
    body = await _body(request)
    schemas = next((v for k, v in body.items() if k.lower() == "schemas"), None)
    if not isinstance(schemas, list) or SEARCH_REQUEST not in schemas:
        raise InvalidSyntaxException(detail=f"schemas must contain {SEARCH_REQUEST!r}")
    if (where := nul_at(body)) is not None:
        raise InvalidValueException(detail=f"{'.'.join(map(str, where))}: text must not contain NUL")
    search = SearchRequest[model].model_validate(body, scim_ctx=Context.SEARCH_REQUEST)  # type: ignore[valid-type]
    filter_text = str(search.filter) if search.filter is not None else None
    attributes = ",".join(map(str, search.attributes)) if search.attributes else None
    excluded = ",".join(map(str, search.excluded_attributes)) if search.excluded_attributes else None
    for name, text, limit in (
        ("filter", filter_text, FILTER_MAX_LENGTH),
        ("attributes", attributes, ATTRIBUTES_MAX_LENGTH),
        ("excludedAttributes", excluded, ATTRIBUTES_MAX_LENGTH),
    ):
        if text is not None and len(text) > limit:
            raise InvalidValueException(detail=f"{name}: at most {limit} characters")
    for name, number in (("startIndex", search.start_index), ("count", search.count)):
        if number is not None and not INT4_MIN <= number <= INT4_MAX:
            raise InvalidValueException(detail=f"{name}: out of range")
    start, size = _paging(search.start_index or 1, DEFAULT_COUNT if search.count is None else search.count)
    return Search(filter_text, start, size, attributes, excluded)


# Discovery (public: RFC 7644 §4)


@router.get("/ServiceProviderConfig")
async def get_service_provider_config(request: Request) -> ScimResponse:
    """What this SCIM service supports."""
    provider = _provider(request)
    assert provider.config is not None
    config = provider.config.model_copy(update={"meta": None})
    return ScimResponse(config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


@router.get("/ResourceTypes")
async def list_resource_types(request: Request) -> ScimResponse:
    """The resource types served: User (with the Enterprise and Tandem extensions) and Group."""
    provider = _provider(request)
    items = [rt.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE) for rt in provider.resource_types]
    return ScimResponse(
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": len(items),
            "startIndex": 1,
            "itemsPerPage": len(items),
            "Resources": items,
        }
    )


@router.get("/ResourceTypes/{name}")
async def get_resource_type(name: Text, request: Request) -> ScimResponse:
    """One resource type."""
    for rt in _provider(request).resource_types:
        if str(rt.id) == name:
            return ScimResponse(rt.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))
    raise NotFoundException(detail=f"no resource type {name}")


@router.get("/Schemas")
async def list_schemas(request: Request) -> ScimResponse:
    """The schemas of the resources and extensions served."""
    items = [s.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE) for s in _provider(request).schemas]
    return ScimResponse(
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": len(items),
            "startIndex": 1,
            "itemsPerPage": len(items),
            "Resources": items,
        }
    )


@router.get("/Schemas/{schema_id}")
async def get_schema(schema_id: Text, request: Request) -> ScimResponse:
    """One schema."""
    for schema in _provider(request).schemas:
        if str(schema.id) == schema_id:
            return ScimResponse(schema.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))
    raise NotFoundException(detail=f"no schema {schema_id}")


# Users


@router.get("/Users")
async def list_users(
    request: Request,
    caller: Provisioner,
    session: SessionDep,
    filter_text: Text | None = FilterQuery,
    start_index: StartIndex = 1,
    count: Count = DEFAULT_COUNT,
    attributes: Text | None = AttributesQuery,
    excluded: Text | None = ExcludedQuery,
) -> ScimResponse:
    """List or filter users (`filter=userName eq "..."`), paged by startIndex and count."""
    return await _users(
        request, session, Search(filter_text, *_paging(start_index, count), attributes, excluded)
    )


@router.post("/Users/.search", openapi_extra={"requestBody": SEARCH_REQUEST_BODY})
async def search_users(request: Request, caller: Provisioner, session: SessionDep) -> ScimResponse:
    """Search users with a SearchRequest body: the same filter, paging and attributes as `GET /Users`."""
    model = _provider(request).model_for("User")
    assert model is not None
    return await _users(request, session, await _search(request, model))


async def _users(request: Request, session: AsyncSession, search: Search) -> ScimResponse:
    provider = _provider(request)
    listing = await service.list_users(
        session,
        provider,
        _base_url(request),
        filter_text=search.filter_text,
        start_index=search.start_index,
        count=search.count,
    )
    return _list_response(listing, provider, search.attributes, search.excluded)


@router.post("/Users", status_code=status.HTTP_201_CREATED)
async def create_user(request: Request, caller: Provisioner, session: SessionDep) -> ScimResponse:
    """Provision a user (409 uniqueness when the userName is taken)."""
    provider = _provider(request)
    model = provider.model_for("User")
    assert model is not None
    user = model.model_validate(await _user_body(request), scim_ctx=Context.RESOURCE_CREATION_REQUEST)
    created = await service.create_user(session, provider, _base_url(request), caller, user)
    return _resource_response(created, provider, context=Context.RESOURCE_CREATION_RESPONSE, status_code=201)


@router.get("/Users/{person_id}")
async def get_user(
    person_id: Text,
    request: Request,
    caller: Provisioner,
    session: SessionDep,
    attributes: Text | None = AttributesQuery,
    excluded: Text | None = ExcludedQuery,
) -> ScimResponse:
    """Get one user."""
    provider = _provider(request)
    user = await service.get_user(session, provider, _base_url(request), person_id)
    return _resource_response(
        user, provider, context=Context.RESOURCE_QUERY_RESPONSE, attributes=attributes, excluded=excluded
    )


@router.put("/Users/{person_id}")
async def replace_user(
    person_id: Text,
    request: Request,
    caller: Provisioner,
    session: SessionDep,
    if_match: Text | None = IfMatch,
) -> ScimResponse:
    """Replace a user (an attribute left out is cleared); If-Match guards against a lost update."""
    provider = _provider(request)
    model = provider.model_for("User")
    assert model is not None
    user = model.model_validate(await _user_body(request), scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST)
    replaced = await service.replace_user(
        session, provider, _base_url(request), caller, person_id, user, if_match=if_match
    )
    return _resource_response(replaced, provider, context=Context.RESOURCE_REPLACEMENT_RESPONSE)


@router.patch("/Users/{person_id}")
async def patch_user(
    person_id: Text,
    request: Request,
    caller: Provisioner,
    session: SessionDep,
    if_match: Text | None = IfMatch,
) -> ScimResponse:
    """Patch a user (ops case-insensitive; `active=false` deprovisions)."""
    provider = _provider(request)
    patched = await service.patch_user(
        session, provider, _base_url(request), caller, person_id, await _body(request), if_match=if_match
    )
    return _resource_response(patched, provider, context=Context.RESOURCE_PATCH_RESPONSE)


@router.delete("/Users/{person_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_user(
    person_id: Text, request: Request, caller: Provisioner, session: SessionDep
) -> Response:
    """Deprovision a user: deactivated, gone from /scim/v2, kept in the directory's history."""
    await service.delete_user(session, _provider(request), caller, person_id)
    return Response(status_code=204)


# Groups


@router.get("/Groups")
async def list_groups(
    request: Request,
    caller: Provisioner,
    session: SessionDep,
    filter_text: Text | None = FilterQuery,
    start_index: StartIndex = 1,
    count: Count = DEFAULT_COUNT,
    attributes: Text | None = AttributesQuery,
    excluded: Text | None = ExcludedQuery,
) -> ScimResponse:
    """List or filter groups."""
    return await _groups(
        request, session, Search(filter_text, *_paging(start_index, count), attributes, excluded)
    )


@router.post("/Groups/.search", openapi_extra={"requestBody": SEARCH_REQUEST_BODY})
async def search_groups(request: Request, caller: Provisioner, session: SessionDep) -> ScimResponse:
    """Search groups with a SearchRequest body: the same filter, paging and attributes as `GET /Groups`."""
    return await _groups(request, session, await _search(request, resources.ScimGroup))


async def _groups(request: Request, session: AsyncSession, search: Search) -> ScimResponse:
    listing = await service.list_groups(
        session,
        _base_url(request),
        filter_text=search.filter_text,
        start_index=search.start_index,
        count=search.count,
    )
    return _list_response(listing, _provider(request), search.attributes, search.excluded)


@router.post("/Groups", status_code=status.HTTP_201_CREATED)
async def create_group(request: Request, caller: Provisioner, session: SessionDep) -> ScimResponse:
    """Create a group."""
    group = resources.ScimGroup.model_validate(
        await _body(request), scim_ctx=Context.RESOURCE_CREATION_REQUEST
    )
    created = await service.create_group(session, _base_url(request), group)
    return _resource_response(
        created, _provider(request), context=Context.RESOURCE_CREATION_RESPONSE, status_code=201
    )


@router.get("/Groups/{group_id}")
async def get_group(
    group_id: Text,
    request: Request,
    caller: Provisioner,
    session: SessionDep,
    attributes: Text | None = AttributesQuery,
    excluded: Text | None = ExcludedQuery,
) -> ScimResponse:
    """Get one group."""
    group = await service.get_group(session, _base_url(request), group_id)
    return _resource_response(
        group,
        _provider(request),
        context=Context.RESOURCE_QUERY_RESPONSE,
        attributes=attributes,
        excluded=excluded,
    )


@router.put("/Groups/{group_id}")
async def replace_group(
    group_id: Text,
    request: Request,
    caller: Provisioner,
    session: SessionDep,
    if_match: Text | None = IfMatch,
) -> ScimResponse:
    """Replace a group and its members."""
    group = resources.ScimGroup.model_validate(
        await _body(request), scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST
    )
    replaced = await service.replace_group(session, _base_url(request), group_id, group, if_match=if_match)
    return _resource_response(replaced, _provider(request), context=Context.RESOURCE_REPLACEMENT_RESPONSE)


@router.patch("/Groups/{group_id}")
async def patch_group(
    group_id: Text,
    request: Request,
    caller: Provisioner,
    session: SessionDep,
    if_match: Text | None = IfMatch,
) -> ScimResponse:
    """Patch a group (add or remove members)."""
    patched = await service.patch_group(
        session, _base_url(request), group_id, await _body(request), if_match=if_match
    )
    return _resource_response(patched, _provider(request), context=Context.RESOURCE_PATCH_RESPONSE)


@router.delete("/Groups/{group_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_group(group_id: Text, caller: Provisioner, session: SessionDep) -> Response:
    """Delete a group (its members stay)."""
    await service.delete_group(session, group_id)
    return Response(status_code=204)


# 501 as RFC 7644 §3.11 asks of a provider without /Me; left out of the OpenAPI document, which
# describes what is offered.
@router.api_route("/Me", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
async def me(caller: Provisioner) -> ScimResponse:
    """Not offered: provisioning clients act for the enterprise, not as a user."""
    raise NotImplementedException(
        detail="/Me is not supported: Tandem's SCIM callers are provisioning clients"
    )


@router.post("/.search", include_in_schema=False)
async def search_everything(caller: Provisioner) -> ScimResponse:
    """Not offered: search Users or Groups (`POST /Users/.search`, `POST /Groups/.search`)."""
    raise NotImplementedException(detail="searching several resource types at once is not supported")


DISCOVERY = frozenset({"serviceproviderconfig", "resourcetypes", "schemas"})


@router.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
async def unknown(rest: Text, request: Request) -> ScimResponse:
    if rest.split("/")[0].lower() in DISCOVERY and request.method != "GET":
        return scim_error(405, f"/scim/v2/{rest} is read-only", headers={"Allow": "GET"})
    raise NotFoundException(detail=f"/scim/v2/{rest} is not a SCIM endpoint of this service")


# Admin: provisioning tokens


class ProvisioningTokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_name: Text = Field(
        min_length=1, max_length=200, description="Who will use it, e.g. `entra-prod` or `okta`."
    )
    expires_at: datetime | None = Field(
        default=None, description="When it stops working; none: until revoked."
    )


class ProvisioningToken(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="Token id (to revoke it).")
    client_name: str = Field(description="Who uses it.")
    prefix: str = Field(description="The token's first characters, to tell tokens apart.")
    created_by: str = Field(description="The admin who issued it.")
    created_at: datetime = Field(description="When it was issued.")
    expires_at: datetime | None = Field(description="When it stops working.")
    last_used_at: datetime | None = Field(description="Last use (to the minute).")
    revoked_at: datetime | None = Field(description="When it was revoked.")


class ProvisioningTokenWithSecret(ProvisioningToken):
    token: str = Field(description="The bearer secret for the SCIM client: shown only in this response.")


@admin_router.post("", response_model=ProvisioningTokenWithSecret, status_code=status.HTTP_201_CREATED)
async def issue_scim_token(
    data: ProvisioningTokenCreate, principal: Admin, session: SessionDep
) -> ProvisioningTokenWithSecret:
    """Issue a SCIM provisioning token; the response is the only place its secret appears."""
    row, secret = await tokens.issue(
        session, principal, client_name=data.client_name, expires_at=data.expires_at
    )
    return ProvisioningTokenWithSecret.model_validate(
        {**ProvisioningToken.model_validate(row).model_dump(), "token": secret}
    )


@admin_router.get("", response_model=Page[ProvisioningToken])
async def list_scim_tokens(principal: Admin, session: SessionDep, page: PageQuery) -> Page[ProvisioningToken]:
    """List provisioning tokens (never their secrets), oldest first."""
    found, total = await tokens.list_tokens(session, page)
    return page_of(found, total, page, ProvisioningToken.model_validate)


@admin_router.post(
    "/{token_id}/revoke",
    response_model=ProvisioningToken,
    responses=problems(tokens.ProvisioningTokenNotFound),
)
async def revoke_scim_token(token_id: UUID, principal: Admin, session: SessionDep) -> ProvisioningToken:
    """Revoke a provisioning token: it stops working at once."""
    return ProvisioningToken.model_validate(await tokens.revoke(session, token_id))
