"""The ingest statement keeps the latest outcome per vendor session (`vendor_session_outcomes`), in
whatever order and batching the messages arrive. Each test's transaction is rolled back."""

import uuid
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.fact.sharing import set_consent
from tandem_analytics.models import SessionTelemetry, Vendor, VendorSessionOutcome
from tandem_analytics.telemetry.repository import insert_new
from tandem_kit.testing import sessionmaker_of

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
PARTICIPANT, PROVIDER = uuid.uuid4(), uuid.uuid4()
TYPES = ("session.completed", "session.no_show", "session.scheduled")


def message(vendor_session: str, type_: str, minute: int, *, webhook_id: str | None = None) -> dict[str, Any]:
    return {
        "webhook_id": webhook_id or f"msg_{uuid.uuid4().hex}",
        "type": type_,
        "occurred_at": T0 + timedelta(minutes=minute),
        "vendor_session_id": vendor_session,
        "session_id": None,
        "engagement_id": None,
        "match_id": None,
        "participant_id": PARTICIPANT,
        "provider_id": PROVIDER,
        "started_at": T0,
        "duration_minutes": 50,
        "rating": 4 if type_ == "session.completed" else None,
    }


async def new_vendor(session: AsyncSession) -> uuid.UUID:
    vendor = Vendor(name=f"v-{uuid.uuid4().hex[:8]}", secret_encrypted=b"sealed")
    session.add(vendor)
    await session.flush()
    await set_consent(session, PARTICIPANT, granted=True, at=T0)
    return vendor.id


async def kept(session: AsyncSession, vendor_id: uuid.UUID) -> dict[str, tuple[str, datetime]]:
    o = VendorSessionOutcome
    rows = await session.execute(
        select(o.vendor_session_id, o.type, o.occurred_at).where(o.vendor_id == vendor_id)
    )
    return {vs: (type_, at) for vs, type_, at in rows.tuples()}


async def test_a_later_outcome_received_first_stays(app: FastAPI) -> None:
    async with sessionmaker_of(app)() as session:
        vendor = await new_vendor(session)
        await insert_new(session, vendor, [message("vs-1", "session.completed", 60)])
        await insert_new(session, vendor, [message("vs-1", "session.no_show", 0)])

        assert await kept(session, vendor) == {"vs-1": ("session.completed", T0 + timedelta(minutes=60))}


async def test_a_batch_holding_both_keeps_the_later(app: FastAPI) -> None:
    async with sessionmaker_of(app)() as session:
        vendor = await new_vendor(session)
        # The later one sorts first in the batch (rows go in webhook-id order).
        batch = [
            message("vs-1", "session.completed", 60, webhook_id="a"),
            message("vs-1", "session.no_show", 0, webhook_id="b"),
            message("vs-2", "session.no_show", 0, webhook_id="c"),
            message("vs-2", "session.completed", 30, webhook_id="d"),
        ]
        assert await insert_new(session, vendor, batch) == {"a", "b", "c", "d"}

        assert await kept(session, vendor) == {
            "vs-1": ("session.completed", T0 + timedelta(minutes=60)),
            "vs-2": ("session.completed", T0 + timedelta(minutes=30)),
        }


async def test_a_correction_replaces_the_outcome_and_a_schedule_does_not(app: FastAPI) -> None:
    async with sessionmaker_of(app)() as session:
        vendor = await new_vendor(session)
        await insert_new(session, vendor, [message("vs-1", "session.no_show", 0)])
        await insert_new(session, vendor, [message("vs-1", "session.completed", 10)])
        await insert_new(session, vendor, [message("vs-1", "session.scheduled", 20)])
        await insert_new(session, vendor, [message("vs-2", "session.scheduled", 0)])

        assert await kept(session, vendor) == {"vs-1": ("session.completed", T0 + timedelta(minutes=10))}


async def test_a_replayed_message_changes_nothing(app: FastAPI) -> None:
    async with sessionmaker_of(app)() as session:
        vendor = await new_vendor(session)
        await insert_new(session, vendor, [message("vs-1", "session.no_show", 0, webhook_id="a")])
        await insert_new(session, vendor, [message("vs-1", "session.completed", 10, webhook_id="b")])
        # The same webhook id again, now claiming a later no-show: the replay guard drops it.
        assert (
            await insert_new(session, vendor, [message("vs-1", "session.no_show", 20, webhook_id="a")])
            == set()
        )

        assert await kept(session, vendor) == {"vs-1": ("session.completed", T0 + timedelta(minutes=10))}


messages = st.lists(
    st.tuples(st.sampled_from(("vs-a", "vs-b", "vs-c")), st.sampled_from(TYPES), st.integers(0, 4)),
    min_size=1,
    max_size=12,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sent=messages, cuts=st.sets(st.integers(1, 11), max_size=4))
async def test_any_order_and_batching_keeps_the_latest_telemetry_outcome(
    app: FastAPI, sent: list[tuple[str, str, int]], cuts: set[int]
) -> None:
    """Whatever the batches, the kept row is the telemetry outcome latest by (occurred_at, received_at,
    id): the order the KPIs always used."""
    async with sessionmaker_of(app)() as session:
        vendor = await new_vendor(session)
        bounds = [0, *sorted(c for c in cuts if c < len(sent)), len(sent)]
        for start, end in pairwise(bounds):
            await insert_new(
                session, vendor, [message(vs, type_, minute) for vs, type_, minute in sent[start:end]]
            )

        t = SessionTelemetry
        rows = (
            await session.execute(
                select(t.vendor_session_id, t.type, t.occurred_at, t.received_at, t.id).where(
                    t.vendor_id == vendor, t.type != "session.scheduled"
                )
            )
        ).tuples()
        expected: dict[str, tuple[Any, ...]] = {}
        for vs, type_, occurred, received, id_ in rows:
            if vs not in expected or (occurred, received, id_) > expected[vs][1:]:
                expected[vs] = (type_, occurred, received, id_)
        assert await kept(session, vendor) == {vs: (e[0], e[1]) for vs, e in expected.items()}
        o = VendorSessionOutcome
        ids = await session.execute(select(o.vendor_session_id, o.telemetry_id).where(o.vendor_id == vendor))
        assert dict(ids.tuples().all()) == {vs: e[3] for vs, e in expected.items()}
