"""From matching's `MatchApproved` on the broker to `EscalationOpened` on the broker."""

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from tandem_kit.events import EventEnvelope
from tandem_kit.testing import eventually
from tandem_scheduling.models import Engagement
from tandem_scheduling.sla import tasks


async def test_an_overdue_kickoff_escalates_onto_the_broker(app: FastAPI, payload: Any) -> None:
    data = payload(approved_at=(datetime.now(UTC) - timedelta(days=9)).isoformat())
    js = await app.state.broker.jetstream(timeout=5)
    approved = EventEnvelope(
        id=uuid.uuid4(), type="MatchApproved", source="matching", occurred_at=datetime.now(UTC), data=data
    )
    await js.publish("tandem.matching.MatchApproved", approved.model_dump_json().encode())

    async def engagement() -> Engagement | None:
        async with app.state.database.sessionmaker() as session:
            return await session.scalar(
                select(Engagement).where(Engagement.match_id == uuid.UUID(data["match_id"]))
            )

    created = await eventually(engagement)
    assert created is not None
    assert sum(len(p) for p in await tasks.scan_once(app.state.database.sessionmaker)) >= 1

    subscription = await js.subscribe("tandem.scheduling.EscalationOpened", ordered_consumer=True)
    try:
        while True:
            message = await asyncio.wait_for(subscription.next_msg(timeout=10), timeout=15)
            opened = json.loads(message.data)["data"]
            if opened["engagement_id"] == str(created.id):
                break
    finally:
        await subscription.unsubscribe()
    assert (opened["sla"], opened["layer"], opened["program_id"], opened["rebreach"]) == (
        "kickoff_held",
        "coaching",
        data["program_id"],
        False,
    )
