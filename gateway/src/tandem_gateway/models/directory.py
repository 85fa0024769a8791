"""The people directory: people, every version of them, SCIM groups, provisioning tokens."""

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tandem_gateway.models import Base


class Person(Base):
    """A person as the HRIS or IdP knows them; `id` is the `person_id` every service uses."""

    __tablename__ = "people"
    __table_args__ = (
        # userName is unique case-insensitively (RFC 7643 §4.1.1: caseExact false).
        Index("uq_people_user_name_lower", text("lower(user_name)"), unique=True),
        Index("ix_people_email_lower", text("lower(email)")),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    external_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    user_name: Mapped[str] = mapped_column(String(255))
    given_name: Mapped[str | None] = mapped_column(String(255))
    family_name: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    employee_number: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(255))
    level: Mapped[str | None] = mapped_column(String(64))
    department: Mapped[str | None] = mapped_column(String(255))
    division: Mapped[str | None] = mapped_column(String(255))
    cost_center: Mapped[str | None] = mapped_column(String(255))
    manager_id: Mapped[UUID | None] = mapped_column(ForeignKey("people.id", onupdate="CASCADE"), index=True)
    hire_date: Mapped[date | None] = mapped_column(Date)
    location: Mapped[str | None] = mapped_column(String(255))
    timezone: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # SCIM DELETE: gone from /scim/v2 (404), deactivated, but the person_id and history stay.
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PersonVersion(Base):
    """One change to a person: the full values after it, which fields changed, who, when, from where.
    `effective_at` is when the change took effect (answers "level on date D"); `recorded_at` when we
    learnt it."""

    __tablename__ = "person_versions"
    __table_args__ = (Index("ix_person_versions_person_effective", "person_id", "effective_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    person_id: Mapped[UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE", onupdate="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(255))
    effective_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    changed: Mapped[list[str]] = mapped_column(JSONB)
    values: Mapped[dict[str, Any]] = mapped_column(JSONB)


class Group(Base):
    """A SCIM group (IdP group pushed to Tandem); membership only, no program meaning of its own."""

    __tablename__ = "directory_groups"
    __table_args__ = (
        Index("uq_directory_groups_display_name_lower", text("lower(display_name)"), unique=True),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    display_name: Mapped[str] = mapped_column(String(255))
    external_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GroupMember(Base):
    __tablename__ = "directory_group_members"

    group_id: Mapped[UUID] = mapped_column(
        ForeignKey("directory_groups.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[UUID] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE", onupdate="CASCADE"), primary_key=True, index=True
    )


class ProvisioningToken(Base):
    """A long-lived SCIM bearer token an admin issued to one provisioning client (Entra, Okta): only its
    SHA-256 is stored; `prefix` lets an admin tell tokens apart."""

    __tablename__ = "provisioning_tokens"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    client_name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
