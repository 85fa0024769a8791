from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.models import Vendor
from tandem_kit.auth import Principal


def vendors_statement() -> Select[tuple[Vendor]]:
    return select(Vendor).order_by(Vendor.name)


def pushable_statement(principal: Principal) -> Select[tuple[Vendor]]:
    """Vendors the caller may push for: unbound vendors, or those bound to the caller's client."""
    return select(Vendor).where((Vendor.client_id.is_(None)) | (Vendor.client_id == principal.client_id))


async def list_all(session: AsyncSession) -> Sequence[Vendor]:
    return (await session.scalars(vendors_statement())).all()


async def get_by_name(session: AsyncSession, name: str) -> Vendor | None:
    vendor = await session.scalar(select(Vendor).where(Vendor.name == name))
    return vendor


async def get_pushable(session: AsyncSession, principal: Principal, vendor_id: UUID) -> Vendor | None:
    vendor = await session.scalar(pushable_statement(principal).where(Vendor.id == vendor_id))
    return vendor
