from fastapi import APIRouter, status

from tandem_analytics.settings import SettingsDep
from tandem_analytics.vendor_platform import service
from tandem_analytics.vendor_platform.auth import AnalyticsAdmin
from tandem_analytics.vendor_platform.schemas import Vendor, VendorCreate, VendorWithSecret
from tandem_analytics.vendor_platform.service import VendorExists
from tandem_kit.db import SessionDep
from tandem_kit.openapi import problems

router = APIRouter(prefix="/vendors", tags=["vendors"])


@router.get("", response_model=list[Vendor])
async def list_vendors(principal: AnalyticsAdmin, session: SessionDep) -> list[Vendor]:
    """List registered vendor platforms (never their secrets)."""
    return [Vendor.model_validate(v) for v in await service.list_vendors(session)]


@router.post(
    "", response_model=VendorWithSecret, status_code=status.HTTP_201_CREATED, responses=problems(VendorExists)
)
async def register_vendor(
    data: VendorCreate, principal: AnalyticsAdmin, session: SessionDep, settings: SettingsDep
) -> VendorWithSecret:
    """Register a vendor platform and return its webhook signing secret, once."""
    vendor, secret = await service.register_vendor(session, principal, data, settings=settings)
    return VendorWithSecret(**Vendor.model_validate(vendor).model_dump(), secret=secret)
