from datetime import datetime
from uuid import UUID

from sqlalchemy import Boolean, DateTime
from sqlalchemy.orm import Mapped, mapped_column

from tandem_scheduling.models import Base


class PersonStatus(Base):
    """Whether the HRIS has a person active (the gateway's `PersonDeactivated` / `PersonReactivated`).

    Only people the HRIS ever deactivated have a row: nobody else is refused a booking. `changed_at` is
    the time of the latest change applied, so an older event delivered late never undoes a newer one.
    """

    __tablename__ = "person_statuses"

    person_id: Mapped[UUID] = mapped_column(primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
