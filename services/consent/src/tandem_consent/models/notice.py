from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import ARRAY, DateTime, ForeignKey, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from tandem_consent.models import Base


class Notice(Base):
    """One published version of a purpose's notice: the text and the data fields it documents.

    Rows are never changed: a consent names the version it was given to, so the exact words and field
    list the person saw stay on record.
    """

    __tablename__ = "notices"
    __table_args__ = (UniqueConstraint("purpose_id", "version"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    purpose_id: Mapped[UUID] = mapped_column(ForeignKey("purposes.id", ondelete="RESTRICT"))
    version: Mapped[int]
    description: Mapped[str] = mapped_column(Text)
    fields: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
