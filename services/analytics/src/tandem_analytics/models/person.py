"""Directory facts about people (the gateway's HR events), kept only under the `analytics` purpose."""

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import Boolean, Date, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tandem_analytics.models import Base


class AnalyticsConsent(Base):
    """Whether the person's `analytics` consent is granted (consent's `ConsentGranted` /
    `ConsentWithdrawn`), as of `changed_at`: an older event delivered late never undoes a newer one."""

    __tablename__ = "analytics_consents"

    person_id: Mapped[UUID] = mapped_column(primary_key=True)
    granted: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PersonFact(Base):
    """A person's employment facts that do not change with the job: hire date and whether active."""

    __tablename__ = "person_facts"

    person_id: Mapped[UUID] = mapped_column(primary_key=True)
    hire_date: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean)
    active_since: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class JobFact(Base):
    """The person's job from `valid_from` until the next row of the same person (history: the job on
    date D is the latest row at or before D). Rows arrive in any order; each is complete."""

    __tablename__ = "job_facts"

    person_id: Mapped[UUID] = mapped_column(primary_key=True)
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    level: Mapped[str | None] = mapped_column(String(100))
    level_rank: Mapped[int | None] = mapped_column(Integer)
    department: Mapped[str | None] = mapped_column(String(200))
    manager_id: Mapped[UUID | None]


class PromotionFact(Base):
    """A promotion (the gateway's `PersonJobChanged` with `promotion` true), for the promotion-rate KPI."""

    __tablename__ = "promotion_facts"

    person_id: Mapped[UUID] = mapped_column(primary_key=True)
    promoted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    from_level: Mapped[str | None] = mapped_column(String(100))
    to_level: Mapped[str | None] = mapped_column(String(100))
