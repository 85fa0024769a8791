from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tandem_kit.testing import sessionmaker_of
from tandem_scheduling.models import Engagement, Session

MakeSession = Callable[..., Awaitable[Session]]


@pytest.fixture
def make_session(app: FastAPI, client: httpx.AsyncClient) -> MakeSession:
    """A session of `engagement` written as it stands after the fact (started `ago`, default one hour):
    booking refuses past times, and attendance is marked once a session has started."""

    async def make(
        engagement: Engagement,
        *,
        ago: timedelta = timedelta(hours=1),
        kind: str = "regular",
        status: str = "booked",
        **overrides: Any,
    ) -> Session:
        starts_at = datetime.now(UTC).replace(microsecond=0) - ago
        row = Session(
            engagement_id=engagement.id,
            kind=kind,
            status=status,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=45),
            booked_by="test",
            cancelled_at=starts_at if status == "cancelled" else None,
            **overrides,
        )
        async with sessionmaker_of(app)() as session:
            session.add(row)
            await session.commit()
        return row

    return make
