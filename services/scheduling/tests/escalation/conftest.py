from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tandem_kit.testing import sessionmaker_of
from tandem_scheduling.models import Escalation
from tandem_scheduling.sla.service import detect_breaches

MakeEscalation = Callable[..., Awaitable[Escalation]]


@pytest.fixture
def make_escalation(app: FastAPI, client: httpx.AsyncClient, make_engagement: Any) -> MakeEscalation:
    """An engagement whose kickoff was due `overdue_days` ago, scanned: its open escalation."""

    async def make(*, overdue_days: int = 1, **overrides: Any) -> Escalation:
        now = datetime.now(UTC)
        approved = now - timedelta(days=7 + overdue_days)
        engagement = await make_engagement(approved_at=approved.isoformat(), **overrides)
        async with sessionmaker_of(app)() as session:
            # Opened when the kickoff was found overdue: a scan at its due date plus an hour.
            await detect_breaches(session, approved + timedelta(days=7, hours=1))
            escalation = await session.scalar(
                select(Escalation).where(Escalation.engagement_id == engagement.id)
            )
            await session.commit()
        assert escalation is not None
        return escalation

    return make


def pm_headers(keys: Any, person_id: UUID, *scopes: str) -> dict[str, str]:
    return keys.headers(*scopes, sub=str(person_id), person_id=str(person_id), roles=["program_manager"])
