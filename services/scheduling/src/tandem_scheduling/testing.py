"""Test helpers for what the API cannot do on purpose (it books only ahead of now)."""

import uuid
from datetime import datetime, timedelta

from fastapi import FastAPI

from tandem_kit.auth import Principal
from tandem_kit.testing import sessionmaker_of
from tandem_scheduling.session import service as session_service
from tandem_scheduling.session.schemas import SessionCreate, SessionKind

SETUP = Principal(
    subject="pm-frontend",
    client_id="pm-frontend",
    scopes=frozenset({"scheduling:read", "scheduling:write"}),
    token_id="test-setup",
)


async def book_in_the_past(app: FastAPI, engagement_id: uuid.UUID, at: datetime, kind: SessionKind) -> str:
    """A session that already started: booked as it would have been, a day before it started."""
    async with sessionmaker_of(app)() as session:
        booked = await session_service.book_session(
            session,
            SETUP,
            engagement_id,
            SessionCreate(starts_at=at, kind=kind),
            calendars=None,
            now=at - timedelta(days=1),
        )
        await session.commit()
        return str(booked.id)
