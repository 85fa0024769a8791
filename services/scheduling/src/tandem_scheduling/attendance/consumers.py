"""Vendor telemetry reconciled with the ledger (analytics' `VendorSessionReported`)."""

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.events import EventEnvelope, Subscription, typed
from tandem_scheduling.attendance import schemas, service


def vendor_session_reports(policy: service.AttendancePolicy) -> Subscription:
    async def on_vendor_session_reported(
        session: AsyncSession, _envelope: EventEnvelope, data: schemas.VendorSessionReported
    ) -> None:
        await service.reconcile_vendor_report(session, data, policy=policy, now=datetime.now(UTC))

    return Subscription(
        name="scheduling-vendor-attendance",
        subjects=["tandem.analytics.VendorSessionReported"],
        handler=typed(schemas.VendorSessionReported, on_vendor_session_reported),
    )
