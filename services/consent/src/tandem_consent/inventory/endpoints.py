from fastapi import APIRouter, status

from tandem_consent.auth import ConsentAdmin, ConsentRead
from tandem_consent.inventory import service
from tandem_consent.inventory.schemas import DataField, DataFieldCreate, DataFieldUpdate
from tandem_consent.inventory.service import DataFieldExists, DataFieldNotFound
from tandem_kit.db import SessionDep
from tandem_kit.fields import Text
from tandem_kit.openapi import problems

router = APIRouter(prefix="/data-fields", tags=["data-fields"])


@router.get("", response_model=list[DataField])
async def list_data_fields(principal: ConsentRead, session: SessionDep) -> list[DataField]:
    """List the personal-data fields Tandem may process (the data inventory)."""
    return [DataField.model_validate(f) for f in await service.list_fields(session)]


@router.get("/{key}", response_model=DataField, responses=problems(DataFieldNotFound))
async def get_data_field(key: Text, principal: ConsentRead, session: SessionDep) -> DataField:
    """Get one data field."""
    return DataField.model_validate(await service.get_field(session, key))


@router.post(
    "", response_model=DataField, status_code=status.HTTP_201_CREATED, responses=problems(DataFieldExists)
)
async def create_data_field(data: DataFieldCreate, principal: ConsentAdmin, session: SessionDep) -> DataField:
    """Add a field to the data inventory."""
    return DataField.model_validate(await service.create_field(session, data))


@router.patch("/{key}", response_model=DataField, responses=problems(DataFieldNotFound))
async def update_data_field(
    key: Text, data: DataFieldUpdate, principal: ConsentAdmin, session: SessionDep
) -> DataField:
    """Update a data field's description, category or sensitivity."""
    return DataField.model_validate(await service.update_field(session, key, data))
