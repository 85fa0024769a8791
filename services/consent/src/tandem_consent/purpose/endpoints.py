from fastapi import APIRouter, status

from tandem_consent.auth import ConsentAdmin, ConsentRead
from tandem_consent.inventory.service import UnknownDataFields
from tandem_consent.purpose import service
from tandem_consent.purpose.schemas import Notice, Purpose, PurposeCreate, PurposeUpdate
from tandem_consent.purpose.service import NoticeNotFound, PurposeExists, PurposeNotFound
from tandem_kit.db import SessionDep
from tandem_kit.fields import Int4, Text
from tandem_kit.openapi import problems

router = APIRouter(prefix="/purposes", tags=["purposes"])


@router.get("", response_model=list[Purpose])
async def list_purposes(principal: ConsentRead, session: SessionDep) -> list[Purpose]:
    """List the purposes personal data may be used for."""
    return [Purpose.model_validate(p) for p in await service.list_purposes(session)]


@router.get("/{key}", response_model=Purpose, responses=problems(PurposeNotFound))
async def get_purpose(key: Text, principal: ConsentRead, session: SessionDep) -> Purpose:
    """Get one purpose, its current notice version and the fields it uses."""
    return Purpose.model_validate(await service.get_purpose(session, key))


@router.post(
    "",
    response_model=Purpose,
    status_code=status.HTTP_201_CREATED,
    responses=problems(UnknownDataFields, PurposeExists),
)
async def create_purpose(data: PurposeCreate, principal: ConsentAdmin, session: SessionDep) -> Purpose:
    """Create a purpose; its notice starts at version 1."""
    return Purpose.model_validate(await service.create_purpose(session, data))


@router.patch("/{key}", response_model=Purpose, responses=problems(UnknownDataFields, PurposeNotFound))
async def update_purpose(
    key: Text, data: PurposeUpdate, principal: ConsentAdmin, session: SessionDep
) -> Purpose:
    """Update a purpose; a changed description or field list is a new notice version."""
    return Purpose.model_validate(await service.update_purpose(session, key, data))


@router.get("/{key}/notices", response_model=list[Notice], responses=problems(PurposeNotFound))
async def list_notices(key: Text, principal: ConsentRead, session: SessionDep) -> list[Notice]:
    """List every published version of a purpose's notice, oldest first."""
    return [Notice.model_validate(n) for n in await service.list_notices(session, key)]


@router.get(
    "/{key}/notices/{version}", response_model=Notice, responses=problems(NoticeNotFound, PurposeNotFound)
)
async def get_notice(key: Text, version: Int4, principal: ConsentRead, session: SessionDep) -> Notice:
    """Get one version of a purpose's notice: the exact text and fields people consented to."""
    return Notice.model_validate(await service.get_notice(session, key, version))
