"""HRIS pull connectors: a connector per HRIS tenant, its "changed since" cursor, its sync runs and
the records a run could not apply."""

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import ARRAY, Boolean, DateTime, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from tandem_gateway.models import Base


class HrisConnector(Base):
    """One HRIS tenant the gateway pulls people from. Its OAuth tokens live in the external connection
    (`connection_id`, sealed there); its API client's secret is sealed here."""

    __tablename__ = "hris_connectors"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    vendor: Mapped[str] = mapped_column(String(16))
    tenant: Mapped[str] = mapped_column(String(200))
    api_base_url: Mapped[str] = mapped_column(Text)
    auth_base_url: Mapped[str] = mapped_column(Text)
    client_id: Mapped[str] = mapped_column(String(200))
    client_secret_sealed: Mapped[str] = mapped_column(Text)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(200)))
    level_field: Mapped[str | None] = mapped_column(String(100))
    connection_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("external_connections.id", ondelete="SET NULL")
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class HrisSyncCursor(Base):
    """Where the next incremental sync starts: the end of the last run that applied every record."""

    __tablename__ = "hris_sync_cursors"

    connector_id: Mapped[UUID] = mapped_column(
        ForeignKey("hris_connectors.id", ondelete="CASCADE"), primary_key=True
    )
    changed_since: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class HrisSyncRun(Base):
    """One sync of one connector: the window it asked for, what it found and did, how it ended."""

    __tablename__ = "hris_sync_runs"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    connector_id: Mapped[UUID] = mapped_column(
        ForeignKey("hris_connectors.id", ondelete="CASCADE"), index=True
    )
    trigger: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    changed_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    changed_through: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    records_seen: Mapped[int] = mapped_column(Integer, default=0)
    records_changed: Mapped[int] = mapped_column(Integer, default=0)
    records_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    records_failed: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class HrisSyncFailure(Base):
    """A record a run could not apply: the vendor's id and a reason code, never the person's data."""

    __tablename__ = "hris_sync_failures"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    run_id: Mapped[UUID] = mapped_column(ForeignKey("hris_sync_runs.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(64))
    attribute: Mapped[str | None] = mapped_column(String(100))
