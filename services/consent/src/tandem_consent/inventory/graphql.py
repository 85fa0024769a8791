import strawberry
from strawberry.types import Info

from tandem_consent.inventory import service
from tandem_kit.graphql import exclusive_session, field


@strawberry.type(description="A personal-data field in the inventory.")
class DataField:
    key: str
    title: str
    description: str
    source: str
    category: str
    sensitivity: str


@strawberry.type
class InventoryQuery:
    @field(description="The personal-data fields Tandem may process (the data inventory).")
    async def data_fields(self, info: Info) -> list[DataField]:
        async with exclusive_session(info) as session:
            fields = await service.list_fields(session)
        return [
            DataField(
                key=f.key,
                title=f.title,
                description=f.description,
                source=f.source,
                category=f.category,
                sensitivity=f.sensitivity,
            )
            for f in fields
        ]
