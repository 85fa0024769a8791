"""The LRS endpoint at /xapi/ (xAPI 2.0 and 1.0.3), and its admin API under /api/v1/admin/xapi."""

import json
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, status
from fastapi.responses import JSONResponse

from tandem_gateway.xapi import configuration, domain, reporter, service
from tandem_gateway.xapi.auth import Assigner, XapiAdmin, XapiRead, XapiWrite
from tandem_gateway.xapi.configuration import (
    CredentialExists,
    CredentialNotFound,
    LrsConnectionExists,
    LrsConnectionNotFound,
    MappingExists,
    MappingNotFound,
)
from tandem_gateway.xapi.dependencies import OutboundDep, SettingsDep
from tandem_gateway.xapi.lrs import ConsentUnavailable
from tandem_gateway.xapi.reporter import LrsUnavailable
from tandem_gateway.xapi.schemas import (
    AssignmentCreate,
    AssignmentResult,
    CurriculumMapping,
    CurriculumMappingCreate,
    Evidence,
    LrsConnection,
    LrsConnectionCreate,
    XapiCredential,
    XapiCredentialCreate,
    XapiCredentialWithSecret,
)
from tandem_gateway.xapi.service import StatementConflict, StatementInvalid, StatementNotFound
from tandem_kit.db import SessionDep
from tandem_kit.fields import Int4, Text, nul_at
from tandem_kit.openapi import problems

LRS_VERSION = "2.0.0"
router = APIRouter(prefix="/xapi", tags=["xapi"])
admin_router = APIRouter(prefix="/api/v1/admin/xapi", tags=["xapi-admin"])
assignments_router = APIRouter(prefix="/api/v1/xapi", tags=["xapi-admin"])


class VersionRequired(StatementInvalid):
    code, title = "xapi-version-required", "X-Experience-API-Version required"


def _version(
    version: Annotated[
        Text | None,
        Header(alias="X-Experience-API-Version", description="1.0.x or 2.0.x; required on every request."),
    ] = None,
) -> str:
    if version is None or not domain.VERSION_PATTERN.match(version):
        raise VersionRequired(
            "Send X-Experience-API-Version: 2.0.0 (or 1.0.3).",
            parameter="X-Experience-API-Version",
            headers={"X-Experience-API-Version": LRS_VERSION},
        )
    return version


Version = Annotated[str, Depends(_version)]

STATEMENTS_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"type": "object", "description": "One xAPI statement."},
                        {"type": "array", "items": {"type": "object"}, "description": "Statements."},
                    ]
                }
            }
        },
    }
}


async def _statements(request: Request) -> Any:
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError) as exc:
        raise StatementInvalid("The body is not JSON.", property="") from exc
    where = nul_at(body)
    if where is not None:
        raise StatementInvalid(
            "Text must not contain the NUL character.",
            property=".".join(str(p) for p in where),
            errors=[
                {"detail": "NUL character", "code": "string_nul", "pointer": "#/" + "/".join(map(str, where))}
            ],
        )
    return body


def _headers(*, read: bool = False) -> dict[str, str]:
    headers = {"X-Experience-API-Version": LRS_VERSION}
    if read:
        headers["X-Experience-API-Consistent-Through"] = datetime.now(UTC).isoformat()
    return headers


@router.get("/about", summary="The LRS's xAPI versions (public)")
async def about() -> JSONResponse:
    """The xAPI versions this LRS speaks; no credentials needed."""
    return JSONResponse({"version": list(domain.VERSIONS), "extensions": {}}, headers=_headers())


@router.post(
    "/statements",
    response_model=list[uuid.UUID],
    openapi_extra=STATEMENTS_BODY,
    responses=problems(StatementInvalid, StatementConflict),
)
async def post_statements(
    caller: XapiWrite, version: Version, request: Request, session: SessionDep, settings: SettingsDep
) -> JSONResponse:
    """Store one statement or an array (atomically); answers their ids in order."""
    body = await _statements(request)
    batch = isinstance(body, list)
    checked = service.check(body if batch else [body], batch=batch)
    ids = await service.store(session, caller, settings, checked)
    return JSONResponse([str(i) for i in ids], headers=_headers())


@router.put(
    "/statements",
    status_code=status.HTTP_204_NO_CONTENT,
    openapi_extra=STATEMENTS_BODY,
    responses=problems(StatementInvalid, StatementConflict),
)
async def put_statement(
    caller: XapiWrite,
    version: Version,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    statement_id: Annotated[uuid.UUID, Query(alias="statementId", description="The statement's id.")],
) -> Response:
    """Store one statement under `statementId`; the same content again is a no-op, other content 409."""
    body = await _statements(request)
    if isinstance(body, list):
        raise StatementInvalid("PUT takes one statement, not an array.", property="")
    checked = service.check([body], batch=False, put_id=statement_id)
    await service.store(session, caller, settings, checked)
    return Response(status_code=status.HTTP_204_NO_CONTENT, headers=_headers())


def _time(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return domain.parse_timestamp(value, name)
    except domain.Invalid as exc:
        raise StatementInvalid(f"{name} {exc.error.detail}.", parameter=name) from exc


@router.get("/statements", responses=problems(StatementInvalid, StatementNotFound))
async def get_statements(
    caller: XapiRead,
    version: Version,
    request: Request,
    session: SessionDep,
    statement_id: Annotated[
        uuid.UUID | None, Query(alias="statementId", description="One statement.")
    ] = None,
    voided_statement_id: Annotated[
        uuid.UUID | None, Query(alias="voidedStatementId", description="One voided statement.")
    ] = None,
    agent: Annotated[Text | None, Query(max_length=2048, description="JSON Agent (actor).")] = None,
    verb: Annotated[Text | None, Query(max_length=2048, description="Verb IRI.")] = None,
    activity: Annotated[Text | None, Query(max_length=2048, description="Activity IRI (object).")] = None,
    registration: Annotated[uuid.UUID | None, Query(description="Registration.")] = None,
    since: Annotated[Text | None, Query(max_length=64, description="Stored after (ISO 8601).")] = None,
    until: Annotated[Text | None, Query(max_length=64, description="Stored at or before (ISO 8601).")] = None,
    limit: Annotated[
        Int4, Query(ge=0, le=500, description="At most this many; 0: the server's page (100).")
    ] = 0,
    ascending: Annotated[bool, Query(description="Oldest first.")] = False,
    cursor: Annotated[int | None, Query(ge=1, le=2**62, description="From the `more` link.")] = None,
) -> JSONResponse:
    """One statement by id, or a page of statements matching the filters, with a `more` link."""
    wanted = statement_id or voided_statement_id
    if wanted is not None:
        # xAPI: a single-statement GET takes no other parameter but `attachments` and `format`.
        extra = sorted(
            set(request.query_params) - {"statementId", "voidedStatementId", "attachments", "format"}
        )
        if statement_id is not None and voided_statement_id is not None:
            extra.insert(0, "voidedStatementId")
        if extra:
            raise StatementInvalid(
                f"statementId and voidedStatementId take no other parameter ({', '.join(extra)}).",
                parameter=extra[0],
            )
        found = await service.get_statement(session, caller, wanted, voided=statement_id is None)
        return JSONResponse(found.statement, headers=_headers(read=True))
    query = service.Query(
        agent=agent,
        verb=verb,
        activity=activity,
        registration=registration,
        since=_time(since, "since"),
        until=_time(until, "until"),
        limit=limit or 100,
        ascending=ascending,
        after=cursor,
    )
    page, next_cursor = await service.find_statements(session, caller, query)
    more = ""
    if next_cursor is not None:
        params = {k: v for k, v in request.query_params.items() if k != "cursor"}
        more = f"/xapi/statements?{urlencode({**params, 'cursor': next_cursor})}"
    return JSONResponse(
        {"statements": [s.statement for s in page], "more": more}, headers=_headers(read=True)
    )


@admin_router.post(
    "/credentials",
    response_model=XapiCredentialWithSecret,
    status_code=status.HTTP_201_CREATED,
    responses=problems(CredentialExists),
)
async def create_credential(
    data: XapiCredentialCreate, principal: XapiAdmin, session: SessionDep
) -> XapiCredentialWithSecret:
    """Issue HTTP Basic credentials to one LMS; the response is the only place the secret appears."""
    credential, secret = await configuration.create_credential(session, principal, data)
    return XapiCredentialWithSecret.model_validate(
        {**XapiCredential.model_validate(credential).model_dump(), "secret": secret}
    )


@admin_router.get("/credentials", response_model=list[XapiCredential])
async def list_credentials(principal: XapiAdmin, session: SessionDep) -> list[XapiCredential]:
    """List LMS credentials (never their secrets)."""
    return [XapiCredential.model_validate(c) for c in await configuration.list_credentials(session)]


@admin_router.post(
    "/credentials/{credential_id}/disable",
    response_model=XapiCredential,
    responses=problems(CredentialNotFound),
)
async def disable_credential(
    credential_id: uuid.UUID, principal: XapiAdmin, session: SessionDep
) -> XapiCredential:
    """Disable an LMS credential: refused from now on."""
    return XapiCredential.model_validate(
        await configuration.disable_credential(session, principal, credential_id)
    )


@admin_router.post(
    "/programs/{program_id}/curriculum",
    response_model=CurriculumMapping,
    status_code=status.HTTP_201_CREATED,
    responses=problems(MappingExists),
)
async def map_activity(
    program_id: uuid.UUID, data: CurriculumMappingCreate, principal: XapiAdmin, session: SessionDep
) -> CurriculumMapping:
    """Map an activity IRI (or cmi5 course/AU id) to one of the program's evidence items."""
    return CurriculumMapping.model_validate(
        await configuration.map_activity(session, principal, program_id, data)
    )


@admin_router.get("/programs/{program_id}/curriculum", response_model=list[CurriculumMapping])
async def list_curriculum(
    program_id: uuid.UUID, principal: XapiAdmin, session: SessionDep
) -> list[CurriculumMapping]:
    """The program's curriculum: which activities are which evidence items."""
    return [
        CurriculumMapping.model_validate(m) for m in await configuration.list_mappings(session, program_id)
    ]


@admin_router.delete(
    "/programs/{program_id}/curriculum/{mapping_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(MappingNotFound),
)
async def unmap_activity(
    program_id: uuid.UUID, mapping_id: uuid.UUID, principal: XapiAdmin, session: SessionDep
) -> None:
    """Stop counting an activity (evidence already recorded stays)."""
    await configuration.unmap_activity(session, principal, program_id, mapping_id)


@admin_router.get("/people/{person_id}/evidence", response_model=list[Evidence])
async def list_evidence(person_id: uuid.UUID, principal: XapiAdmin, session: SessionDep) -> list[Evidence]:
    """A person's training evidence, retracted pieces included."""
    return [Evidence.model_validate(e) for e in await configuration.list_evidence(session, person_id)]


@admin_router.post(
    "/lrs-connections",
    response_model=LrsConnection,
    status_code=status.HTTP_201_CREATED,
    responses=problems(LrsConnectionExists),
)
async def connect_lrs(
    data: LrsConnectionCreate, principal: XapiAdmin, session: SessionDep, settings: SettingsDep
) -> LrsConnection:
    """Configure the organisation's LRS for statements out (its secret is sealed, never shown again)."""
    return LrsConnection.model_validate(await configuration.connect_lrs(session, principal, settings, data))


@admin_router.get("/lrs-connections", response_model=list[LrsConnection])
async def list_lrs_connections(principal: XapiAdmin, session: SessionDep) -> list[LrsConnection]:
    """The configured LRSs (never their secrets)."""
    return [LrsConnection.model_validate(c) for c in await configuration.list_connections(session)]


@admin_router.delete(
    "/lrs-connections/{organisation}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(LrsConnectionNotFound),
)
async def disconnect_lrs(
    organisation: Annotated[Text, Path(max_length=120)], principal: XapiAdmin, session: SessionDep
) -> None:
    """Remove the organisation's LRS: nothing more goes out to it."""
    await configuration.disconnect_lrs(session, principal, organisation)


@assignments_router.post(
    "/microlearning-assignments",
    response_model=AssignmentResult,
    responses=problems(LrsUnavailable, ConsentUnavailable),
)
async def assign_microlearning(
    data: AssignmentCreate,
    principal: Assigner,
    session: SessionDep,
    settings: SettingsDep,
    outbound: OutboundDep,
) -> AssignmentResult:
    """Assign a microlearning module: an `assigned` statement to the LRS for each consenting person."""
    return await reporter.assign(session, outbound, settings, data)
