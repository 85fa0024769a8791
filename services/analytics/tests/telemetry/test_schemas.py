"""The batch decoder's fast path (msgspec) against the full model (pydantic), which defines what a
message means: whenever the fast path takes a batch, the full model takes every item with the same
values; whatever the fast path refuses, the full model judges item by item."""

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tandem_analytics.telemetry.schemas import BATCH, VendorBatchItem, _fast_path_ok, parse_batch
from tandem_analytics.telemetry.service import _document

PERSON = uuid.UUID("00000000-0000-4000-8000-00000000c0de")

UUID_FORMS = [str(PERSON), str(PERSON).upper(), PERSON.hex]
BAD_UUIDS = ["not-a-uuid", "", 7, None]
TIMES = [
    "2026-11-20T09:00:00+00:00",
    "2026-11-20T09:00:00Z",
    "2026-11-20T10:30:00.123456+01:30",
    "2026-11-20 09:00:00+00:00",
]
BAD_TIMES = ["2026-11-20T09:00:00", "2026-13-20T09:00:00Z", None]
BAD_TEXTS = ["a\x00b", "x" * 201, "", 12]
TYPES = ["session.completed", "session.no_show", "session.scheduled"]


@st.composite
def items(draw: st.DrawFn) -> dict[str, Any]:
    """A message that is valid in one of its accepted forms, or (one time in three) wrong in one place."""
    text = st.text(st.characters(exclude_characters="\x00"), min_size=1, max_size=8)
    data: dict[str, Any] = {
        "vendor_session_id": draw(text),
        "participant_id": draw(st.sampled_from(UUID_FORMS)),
        "provider_id": draw(st.sampled_from(UUID_FORMS)),
        "started_at": draw(st.sampled_from(TIMES)),
        "duration_minutes": draw(st.integers(0, 600)),
    }
    for optional in ("session_id", "engagement_id", "match_id"):
        if draw(st.booleans()):
            data[optional] = draw(st.sampled_from([*UUID_FORMS, None]))
    item: dict[str, Any] = {"id": draw(text), "type": draw(st.sampled_from(TYPES)), "data": data}
    if draw(st.booleans()):
        item["timestamp"] = draw(st.sampled_from([*TIMES, None]))
    if item["type"] == "session.completed" and draw(st.booleans()):
        data["rating"] = draw(st.sampled_from([None, 1, 3, 5]))
    if draw(st.integers(0, 2)) == 0:
        holder, key, value = draw(
            st.one_of(
                st.tuples(
                    st.just(data),
                    st.sampled_from(["participant_id", "session_id"]),
                    st.sampled_from(BAD_UUIDS),
                ),
                st.tuples(st.just(data), st.just("started_at"), st.sampled_from(BAD_TIMES)),
                st.tuples(st.just(item), st.just("timestamp"), st.sampled_from(BAD_TIMES[:-1])),
                st.tuples(st.just(data), st.just("vendor_session_id"), st.sampled_from(BAD_TEXTS)),
                st.tuples(st.just(item), st.just("id"), st.sampled_from(BAD_TEXTS)),
                st.tuples(
                    st.just(data),
                    st.just("duration_minutes"),
                    st.sampled_from([-1, 601, 55.5, "fifty"]),
                ),
                st.tuples(
                    st.just(data), st.just("rating"), st.sampled_from([0, 6, 4])
                ),  # 4: only on completed
                st.tuples(st.just(item), st.just("type"), st.just("session.rescheduled")),
                st.tuples(st.just(data), st.just("notes"), st.just("free text")),
            )
        )
        holder[key] = value
    return item


def full_model(item: dict[str, Any]) -> VendorBatchItem | None:
    try:
        event = VendorBatchItem.model_validate(item)
    except ValidationError:
        return None
    if event.data.rating is not None and event.type != "session.completed":
        return None
    return event


def as_stored(document: bytes) -> list[Any]:
    """The messages as the ingest statement reads them: ids as UUIDs, times as instants."""
    decoded: list[Any] = json.loads(document)
    for message in decoded:
        for key in ("participant_id", "provider_id", "session_id", "engagement_id", "match_id"):
            if message["data"].get(key) is not None:
                message["data"][key] = uuid.UUID(message["data"][key])
        for holder, key in ((message, "timestamp"), (message["data"], "started_at")):
            if holder.get(key) is not None:
                holder[key] = datetime.fromisoformat(holder[key].replace("Z", "+00:00"))
        message["data"] = {k: v for k, v in message["data"].items() if v is not None}
        message.pop("timestamp") if message.get("timestamp") is None else None
    return decoded


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(items(), min_size=1, max_size=4))
def test_whatever_the_fast_path_takes_the_full_model_takes_with_the_same_values(
    batch: list[dict[str, Any]],
) -> None:
    body = json.dumps(batch).encode()
    try:
        fast = BATCH.decode(body)
    except msgspec.DecodeError:
        fast = None
    full = [full_model(item) for item in batch]
    if fast is not None and _fast_path_ok(fast, max_items=10):
        assert all(event is not None for event in full), batch
        assert as_stored(_document(fast)) == as_stored(_document([e for e in full if e is not None]))
    # Either way the batch's verdicts are the full model's, item by item.
    parsed = parse_batch(body, max_items=10)
    assert [p.event is not None for p in parsed] == [event is not None for event in full]


def test_the_usual_batch_takes_the_fast_path() -> None:
    item = {
        "id": "msg_1",
        "type": "session.completed",
        "timestamp": "2026-11-20T10:00:00+01:00",
        "data": {
            "vendor_session_id": "vs-1",
            "participant_id": str(PERSON),
            "provider_id": str(uuid.uuid4()),
            "started_at": "2026-11-20T09:00:00Z",
            "duration_minutes": 55,
            "rating": 5,
        },
    }
    fast = BATCH.decode(json.dumps([item]).encode())
    assert _fast_path_ok(fast, max_items=10)
    assert fast[0].timestamp == datetime(2026, 11, 20, 9, tzinfo=UTC).astimezone(timezone(timedelta(hours=1)))
    assert fast[0].data.participant_id == PERSON


def valid_item() -> dict[str, Any]:
    return {
        "id": "msg_1",
        "type": "session.no_show",
        "data": {
            "vendor_session_id": "vs-1",
            "participant_id": str(PERSON),
            "provider_id": str(PERSON),
            "started_at": TIMES[0],
            "duration_minutes": 55,
        },
    }


WRONG = [
    *(("data", "participant_id", v) for v in BAD_UUIDS),
    *(("data", "session_id", v) for v in BAD_UUIDS[:-1]),
    *(("data", "started_at", v) for v in BAD_TIMES),
    *(("item", "timestamp", v) for v in BAD_TIMES[:-1]),
    *(("data", "vendor_session_id", v) for v in BAD_TEXTS),
    *(("item", "id", v) for v in BAD_TEXTS),
    *(("data", "duration_minutes", v) for v in (-1, 601, 55.5, "fifty")),
    *(("data", "rating", v) for v in (0, 6, 4)),  # 4 on a no-show: a rating only on session.completed
    ("item", "type", "session.rescheduled"),
    ("data", "notes", "free text"),
]


# Forms only the full model reads (pydantic's lax mode): the batch takes the slow path and is accepted.
SLOW_FORMS = [
    ("data", "participant_id", "{" + str(PERSON) + "}"),
    ("data", "started_at", 1763629200),
    ("data", "duration_minutes", 55.0),
    ("data", "duration_minutes", "55"),
]


@pytest.mark.parametrize(("where", "key", "value"), SLOW_FORMS)
def test_a_form_only_the_full_model_reads_takes_the_slow_path_and_counts(
    where: str, key: str, value: Any
) -> None:
    other = valid_item()
    (other if where == "item" else other["data"])[key] = value
    body = json.dumps([valid_item(), other]).encode()
    with pytest.raises(msgspec.ValidationError):
        BATCH.decode(body)
    parsed = parse_batch(body, max_items=10)
    slow, full = parsed[1].event, full_model(other)
    assert parsed[0].event is not None
    assert slow is not None
    assert full is not None
    assert as_stored(_document([slow])) == as_stored(_document([full]))


@pytest.mark.parametrize(("where", "key", "value"), WRONG)
def test_one_wrong_value_leaves_the_fast_path_and_rejects_that_item_alone(
    where: str, key: str, value: Any
) -> None:
    wrong = valid_item()
    (wrong if where == "item" else wrong["data"])[key] = value
    body = json.dumps([valid_item(), wrong]).encode()
    try:
        fast_ok = _fast_path_ok(BATCH.decode(body), max_items=10)
    except msgspec.DecodeError:
        fast_ok = False
    assert not fast_ok
    assert [p.event is not None for p in parse_batch(body, max_items=10)] == [True, False]
    assert full_model(wrong) is None
