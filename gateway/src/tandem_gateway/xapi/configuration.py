"""Admin use cases: LMS credentials, program curricula, the organisation's LRS, evidence read-back."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_gateway.models import CurriculumMapping, LrsConnection, TrainingEvidence, XapiCredential
from tandem_gateway.oauth.domain import hash_secret
from tandem_gateway.settings import Settings
from tandem_gateway.xapi import repository
from tandem_gateway.xapi.auth import forget_credential
from tandem_gateway.xapi.lrs import seal
from tandem_gateway.xapi.schemas import CurriculumMappingCreate, LrsConnectionCreate, XapiCredentialCreate
from tandem_kit.auth import Principal
from tandem_kit.errors import Conflict, NotFound

log = structlog.get_logger("tandem.gateway.xapi.configuration")


class CredentialExists(Conflict):
    code, title = "xapi-credential-exists", "LMS credential already exists"


class CredentialNotFound(NotFound):
    code, title = "xapi-credential-not-found", "LMS credential not found"


class MappingExists(Conflict):
    code, title = "curriculum-mapping-exists", "Activity already mapped in this program"


class MappingNotFound(NotFound):
    code, title = "curriculum-mapping-not-found", "Curriculum mapping not found"


class LrsConnectionExists(Conflict):
    code, title = "lrs-connection-exists", "The organisation already has an LRS"


class LrsConnectionNotFound(NotFound):
    code, title = "lrs-connection-not-found", "LRS connection not found"


async def create_credential(
    session: AsyncSession, principal: Principal, data: XapiCredentialCreate
) -> tuple[XapiCredential, str]:
    if await repository.get_credential_by_name(session, data.name) is not None:
        raise CredentialExists(f"A credential named {data.name!r} exists.", pointer="#/name")
    secret = secrets.token_urlsafe(32)
    credential = XapiCredential(
        key="lms_" + secrets.token_hex(12),
        name=data.name,
        secret_hash=await asyncio.to_thread(hash_secret, secret),
        can_read=data.can_read,
    )
    session.add(credential)
    await session.flush()
    await session.refresh(credential)
    log.info("gateway.xapi.credential_created", key=credential.key, by=principal.client_id)
    return credential, secret


async def list_credentials(session: AsyncSession) -> Sequence[XapiCredential]:
    return await repository.list_credentials(session)


async def disable_credential(
    session: AsyncSession, principal: Principal, credential_id: UUID
) -> XapiCredential:
    credential = await repository.get_credential(session, credential_id)
    if credential is None:
        raise CredentialNotFound(f"No LMS credential {credential_id}.", parameter="credential_id")
    if credential.disabled_at is None:
        credential.disabled_at = datetime.now(UTC)
        await session.flush()
        log.info("gateway.xapi.credential_disabled", key=credential.key, by=principal.client_id)
    forget_credential(credential.key)
    return credential


async def map_activity(
    session: AsyncSession, principal: Principal, program_id: UUID, data: CurriculumMappingCreate
) -> CurriculumMapping:
    if await repository.get_mapping(session, program_id, data.activity_id) is not None:
        raise MappingExists(f"{data.activity_id} is already mapped in this program.", pointer="#/activity_id")
    mapping = CurriculumMapping(
        program_id=program_id,
        activity_id=data.activity_id,
        item=data.item,
        rule=data.rule,
        min_scaled=data.min_scaled,
    )
    session.add(mapping)
    await session.flush()
    await session.refresh(mapping)
    log.info(
        "gateway.xapi.activity_mapped", program_id=str(program_id), item=data.item, by=principal.client_id
    )
    return mapping


async def list_mappings(session: AsyncSession, program_id: UUID) -> Sequence[CurriculumMapping]:
    return await repository.list_mappings(session, program_id)


async def unmap_activity(
    session: AsyncSession, principal: Principal, program_id: UUID, mapping_id: UUID
) -> None:
    """Later statements on the activity are not evidence; evidence already recorded stays."""
    mapping = await repository.get_mapping_by_id(session, program_id, mapping_id)
    if mapping is None:
        raise MappingNotFound(f"No mapping {mapping_id} in program {program_id}.", parameter="mapping_id")
    await session.delete(mapping)
    await session.flush()
    log.info("gateway.xapi.activity_unmapped", program_id=str(program_id), by=principal.client_id)


async def list_evidence(session: AsyncSession, person_id: UUID) -> Sequence[TrainingEvidence]:
    return await repository.list_evidence(session, person_id)


async def connect_lrs(
    session: AsyncSession, principal: Principal, settings: Settings, data: LrsConnectionCreate
) -> LrsConnection:
    if await repository.get_connection(session, data.organisation) is not None:
        raise LrsConnectionExists(f"{data.organisation!r} already has an LRS.", pointer="#/organisation")
    connection = LrsConnection(
        organisation=data.organisation,
        endpoint=data.endpoint,
        auth=data.auth,
        username=data.username,
        secret_sealed=seal(settings, data.secret),
        token_url=data.token_url,
        scope=data.scope,
        enabled=True,
    )
    session.add(connection)
    await session.flush()
    await session.refresh(connection)
    log.info("gateway.xapi.lrs_connected", organisation=data.organisation, by=principal.client_id)
    return connection


async def list_connections(session: AsyncSession) -> Sequence[LrsConnection]:
    return await repository.list_connections(session)


async def disconnect_lrs(session: AsyncSession, principal: Principal, organisation: str) -> None:
    connection = await repository.get_connection(session, organisation)
    if connection is None:
        raise LrsConnectionNotFound(f"{organisation!r} has no LRS.", parameter="organisation")
    await session.delete(connection)
    await session.flush()
    log.info("gateway.xapi.lrs_disconnected", organisation=organisation, by=principal.client_id)
