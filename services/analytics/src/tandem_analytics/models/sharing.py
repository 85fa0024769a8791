"""Whose `vendor_sharing` consent is granted: vendors may send telemetry about those people only."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import Boolean, DateTime
from sqlalchemy.orm import Mapped, mapped_column

from tandem_analytics.models import Base


class VendorSharingConsent(Base):
    """The person's `vendor_sharing` consent as of `changed_at` (a late older event never undoes it)."""

    __tablename__ = "vendor_sharing_consents"

    person_id: Mapped[UUID] = mapped_column(primary_key=True)
    granted: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
