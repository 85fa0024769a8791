from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from sqlalchemy import DateTime, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tandem_consent.models import Base

if TYPE_CHECKING:
    from tandem_consent.models.notice import Notice


class Purpose(Base):
    """A purpose personal data may be used for (matching, analytics, ...), with its current notice."""

    __tablename__ = "purposes"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    notice_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    current_notice: Mapped["Notice"] = relationship(
        primaryjoin="and_(Notice.purpose_id == Purpose.id, Notice.version == Purpose.notice_version)",
        foreign_keys="[Notice.purpose_id, Notice.version]",
        viewonly=True,
        uselist=False,
        lazy="raise",
    )

    @property
    def fields(self) -> list[str]:
        """The data fields the current notice documents (the purpose may use no others)."""
        return self.current_notice.fields
