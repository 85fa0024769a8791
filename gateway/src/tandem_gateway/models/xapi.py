"""ORM models of the xAPI integration: LMS credentials, kept statements, curriculum mappings, training
evidence, and the LRS connections statements go out to."""

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import BigInteger, Boolean, DateTime, Float, Identity, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tandem_gateway.models import Base


class XapiCredential(Base):
    """HTTP Basic credentials an admin issues to one LMS; the secret is kept only as a scrypt hash."""

    __tablename__ = "xapi_credentials"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    secret_hash: Mapped[str] = mapped_column(Text)
    can_read: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class XapiStatement(Base):
    """A statement kept because it is evidence of a directory person on a mapped activity (or voids one)."""

    __tablename__ = "xapi_statements"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    statement: Mapped[dict[str, Any]] = mapped_column(JSONB)
    person_id: Mapped[UUID] = mapped_column(index=True)
    actor_ifi: Mapped[str] = mapped_column(Text, index=True)
    verb_id: Mapped[str] = mapped_column(Text)
    activity_id: Mapped[str | None] = mapped_column(Text)
    registration: Mapped[UUID | None]
    voids: Mapped[UUID | None]
    voided_by: Mapped[UUID | None]
    writer: Mapped[str] = mapped_column(String(64))
    stored_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )


class CurriculumMapping(Base):
    """One activity (IRI, cmi5 course or AU id) counted as one evidence item of a program."""

    __tablename__ = "xapi_curriculum_mappings"
    __table_args__ = (UniqueConstraint("program_id", "activity_id"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    program_id: Mapped[UUID] = mapped_column(index=True)
    activity_id: Mapped[str] = mapped_column(Text, index=True)
    item: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(16))  # completion | passed | score
    min_scaled: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TrainingEvidence(Base):
    """A piece of evidence a statement gave one person in one program; voiding retracts it."""

    __tablename__ = "xapi_evidence"
    __table_args__ = (UniqueConstraint("statement_id", "program_id", "item"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    person_id: Mapped[UUID] = mapped_column(index=True)
    program_id: Mapped[UUID]
    item: Mapped[str] = mapped_column(String(64))
    statement_id: Mapped[UUID] = mapped_column(index=True)
    verb: Mapped[str] = mapped_column(String(16))
    counts: Mapped[bool] = mapped_column(Boolean)
    score_scaled: Mapped[float | None] = mapped_column(Float)
    achieved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    retracted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    voided_by: Mapped[UUID | None]


class LrsConnection(Base):
    """The organisation's LRS that milestone statements go to; its secret is sealed (Fernet)."""

    __tablename__ = "xapi_lrs_connections"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    organisation: Mapped[str] = mapped_column(String(120), unique=True)
    endpoint: Mapped[str] = mapped_column(Text)
    auth: Mapped[str] = mapped_column(String(16))  # basic | oauth
    username: Mapped[str] = mapped_column(String(200))
    secret_sealed: Mapped[str] = mapped_column(Text)
    token_url: Mapped[str | None] = mapped_column(Text)
    scope: Mapped[str | None] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
