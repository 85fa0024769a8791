from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import ARRAY, CheckConstraint, DateTime, Index, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from tandem_gateway.models import Base


class ExternalConnection(Base):
    """An OAuth grant at a third party (a person's calendar, an organisation's HRIS): the tokens are
    sealed (Fernet under a key derived from the gateway's internal secret), never stored in clear."""

    __tablename__ = "external_connections"
    __table_args__ = (
        CheckConstraint("(person_id IS NULL) <> (integration IS NULL)", name="one_owner"),
        CheckConstraint("status IN ('active', 'needs_reauth', 'disconnected')", name="status"),
        # One connection per owner and provider: reconnecting reuses it, so its id stays stable.
        Index(
            "uq_external_connections_person_provider",
            "person_id",
            "provider",
            unique=True,
            postgresql_where=text("person_id IS NOT NULL"),
        ),
        Index(
            "uq_external_connections_integration_provider",
            "integration",
            "provider",
            unique=True,
            postgresql_where=text("integration IS NOT NULL"),
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    person_id: Mapped[UUID | None] = mapped_column()
    integration: Mapped[str | None] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(32))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(200)))
    status: Mapped[str] = mapped_column(String(16))
    access_token_sealed: Mapped[str | None] = mapped_column(Text)
    refresh_token_sealed: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    connected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    refreshed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    broken_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    broken_reason: Mapped[str | None] = mapped_column(String(32))


class ConnectionAuthorization(Base):
    """An authorization-code flow under way: its `state` (stored hashed), PKCE verifier (sealed), who
    started it and for what. Taken (deleted) by the callback, so a state works once; dead after
    `expires_at`."""

    __tablename__ = "connection_authorizations"
    __table_args__ = (CheckConstraint("(person_id IS NULL) <> (integration IS NULL)", name="one_owner"),)

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[UUID | None] = mapped_column()
    integration: Mapped[str | None] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(32))
    code_verifier_sealed: Mapped[str] = mapped_column(Text)
    redirect_uri: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
