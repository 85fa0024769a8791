from fastapi import APIRouter, status
from tandem_kit.db import SessionDep

from tandem_consent.purpose import service
from tandem_consent.purpose.auth import ConsentRead, ConsentWrite
from tandem_consent.purpose.schemas import Purpose, PurposeCreate, PurposeUpdate

router = APIRouter(prefix="/purposes", tags=["purposes"])


@router.get("", response_model=list[Purpose])
async def list_purposes(principal: ConsentRead, session: SessionDep) -> list[Purpose]:
    """List the purposes personal data may be used for."""
    return [Purpose.model_validate(p) for p in await service.list_purposes(session)]


@router.get("/{key}", response_model=Purpose)
async def get_purpose(key: str, principal: ConsentRead, session: SessionDep) -> Purpose:
    """Get one purpose and its current notice version."""
    return Purpose.model_validate(await service.get_purpose(session, key))


@router.post("", response_model=Purpose, status_code=status.HTTP_201_CREATED)
async def create_purpose(data: PurposeCreate, principal: ConsentWrite, session: SessionDep) -> Purpose:
    """Create a purpose."""
    return Purpose.model_validate(await service.create_purpose(session, principal, data))


@router.patch("/{key}", response_model=Purpose)
async def update_purpose(
    key: str, data: PurposeUpdate, principal: ConsentWrite, session: SessionDep
) -> Purpose:
    """Update a purpose; a changed description is a new notice version."""
    return Purpose.model_validate(await service.update_purpose(session, principal, key, data))
