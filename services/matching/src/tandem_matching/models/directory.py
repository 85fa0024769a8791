from datetime import date, datetime
from uuid import UUID

from sqlalchemy import Date, DateTime, String, func
from sqlalchemy.orm import Mapped, mapped_column

from tandem_matching.models import Base


class DirectoryPerson(Base):
    """Matching's projection of one person's HR facts, from the gateway's `Person*` events.

    Only what matching needs (no names, e-mail or title). Two clocks keep a late event from
    overwriting newer state: `job_at` guards the job facts, `status_at` the active flag.
    """

    __tablename__ = "directory_people"

    person_id: Mapped[UUID] = mapped_column(primary_key=True)
    active: Mapped[bool]
    level: Mapped[str | None] = mapped_column(String(100))
    level_rank: Mapped[int | None]
    department: Mapped[str | None] = mapped_column(String(200))
    manager_id: Mapped[UUID | None] = mapped_column(index=True)
    hire_date: Mapped[date | None] = mapped_column(Date)
    job_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
