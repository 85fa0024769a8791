from collections.abc import Sequence
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.models import Vendor
from tandem_analytics.settings import Settings
from tandem_analytics.vendor_platform import repository, sealing
from tandem_analytics.vendor_platform.schemas import VendorCreate
from tandem_kit.auth import Principal
from tandem_kit.errors import Conflict, NotFound

log = structlog.get_logger("tandem.analytics.vendor")


class VendorExists(Conflict):
    code, title = "vendor-exists", "Vendor already exists"


class VendorNotFound(NotFound):
    code, title = "vendor-not-found", "Vendor not found"


async def list_vendors(session: AsyncSession) -> Sequence[Vendor]:
    return await repository.list_all(session)


async def register_vendor(
    session: AsyncSession, principal: Principal, data: VendorCreate, *, settings: Settings
) -> tuple[Vendor, str]:
    """Register a vendor; the plain secret is returned to the caller once and only stored sealed."""
    if await repository.get_by_name(session, data.name) is not None:
        raise VendorExists(f"A vendor named {data.name!r} exists.", pointer="#/name")
    secret = sealing.new_webhook_secret()
    vendor = Vendor(
        name=data.name,
        client_id=data.client_id,
        secret_encrypted=sealing.seal(settings.internal_secret.get_secret_value(), secret),
    )
    session.add(vendor)
    await session.flush()
    await session.refresh(vendor)
    log.info("analytics.vendor.registered", vendor_id=str(vendor.id), by=principal.subject)
    return vendor, secret


async def get_pushable_vendor(session: AsyncSession, principal: Principal, vendor_id: UUID) -> Vendor:
    vendor = await repository.get_pushable(session, principal, vendor_id)
    if vendor is None:
        raise VendorNotFound(f"No vendor {vendor_id} you may push events for.", parameter="vendor_id")
    return vendor


def webhook_secret(vendor: Vendor, *, settings: Settings) -> str:
    return sealing.unseal(settings.internal_secret.get_secret_value(), vendor.secret_encrypted)
