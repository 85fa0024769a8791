"""Vendor session telemetry: structured indicators only.

Free-text fields (notes, transcripts, summaries, ...) are refused with 422 rather than silently
dropped, so a vendor learns at once that such content must never be sent to analytics.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from fastapi.exceptions import RequestValidationError
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from tandem_kit.errors import json_pointer
from tandem_kit.fields import Text

EventType = Literal["session.completed", "session.no_show", "session.scheduled"]

FREE_TEXT_FIELDS = frozenset(
    {"notes", "note", "transcript", "transcripts", "summary", "comment", "comments", "feedback", "text"}
)
FREE_TEXT_MESSAGE = "free-text session content is not accepted: analytics stores structured indicators only"


class SessionIndicators(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vendor_session_id: Text = Field(min_length=1, max_length=200, description="The vendor's session id.")
    session_id: UUID | None = Field(default=None, description="Tandem session id, when the vendor knows it.")
    engagement_id: UUID | None = Field(default=None, description="Tandem engagement id, if known.")
    match_id: UUID | None = Field(default=None, description="Tandem match id, if known.")
    participant_id: UUID = Field(description="Participant's person id.")
    provider_id: UUID = Field(description="Coach or mentor (provider) id.")
    started_at: AwareDatetime = Field(description="Session start (planned start for scheduled sessions).")
    duration_minutes: int = Field(ge=0, le=600, description="Actual (or planned) duration in minutes.")
    rating: int | None = Field(
        default=None, ge=1, le=5, description="Participant rating 1-5; only on `session.completed`."
    )


class VendorEvent(BaseModel):
    """One webhook message body (Standard Webhooks payload shape: type, timestamp, data)."""

    model_config = ConfigDict(extra="forbid")

    type: EventType = Field(description="Event type.")
    timestamp: AwareDatetime | None = Field(
        default=None, description="When the event happened at the vendor."
    )
    data: SessionIndicators


class VendorBatchItem(VendorEvent):
    id: Text = Field(min_length=1, max_length=200, description="Message id; deduplicated like `webhook-id`.")


DROPPED_NO_SHARING = "vendor_sharing_not_granted"


class IngestResult(BaseModel):
    id: str = Field(description="The message id (`webhook-id`).")
    duplicate: bool = Field(description="True when this message id was already received: stored once.")
    received_at: datetime | None = Field(
        description="When the message was first received (null when it was dropped, not stored)."
    )
    dropped: Literal["vendor_sharing_not_granted"] | None = Field(
        default=None,
        description="Why the message was not stored: the participant has not granted `vendor_sharing`, "
        "so vendors may not send analytics anything about them. Sending it again after a grant stores it.",
    )


class BatchItemResult(BaseModel):
    index: int = Field(description="Position of the item in the batch.")
    id: str | None = Field(description="The item's message id, when it had one.")
    status: Literal["accepted", "duplicate", "rejected", "dropped"] = Field(
        description="What happened to the item; `dropped`: valid but not stored (see `reason`)."
    )
    reason: Literal["vendor_sharing_not_granted"] | None = Field(
        default=None, description="Why a dropped item was not stored."
    )
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="Why a rejected item was refused (pointers into the batch body)."
    )


class BatchResult(BaseModel):
    accepted: int = Field(description="Items stored now.")
    duplicates: int = Field(description="Items whose id was already received (not stored again).")
    rejected: int = Field(description="Items refused for invalid content.")
    dropped: int = Field(
        default=0, description="Valid items not stored: their participant has not granted `vendor_sharing`."
    )
    results: list[BatchItemResult] = Field(description="One result per item, in batch order.")


def errors_of(exc: ValidationError, prefix: tuple[str | int, ...]) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    for err in exc.errors(include_url=False, include_context=False, include_input=False):
        loc = (*prefix, *err["loc"])
        entry = dict(err, loc=loc)
        if (
            err["type"] == "extra_forbidden"
            and err["loc"]
            and str(err["loc"][-1]).lower() in FREE_TEXT_FIELDS
        ):
            entry["msg"] = FREE_TEXT_MESSAGE
        errors.append(entry)
    return errors


def _rule_errors(event: "VendorEvent | WireItem", prefix: tuple[str | int, ...]) -> list[dict[str, Any]]:
    if event.data.rating is not None and event.type != "session.completed":
        return [
            {
                "type": "rating_not_allowed",
                "loc": (*prefix, "data", "rating"),
                "msg": f"a rating is only accepted on session.completed, not {event.type}",
            }
        ]
    return []


def parse_event(body: bytes) -> VendorEvent:
    """Validate one message body; errors name the field, as the kit's request validation does."""
    try:
        event = VendorEvent.model_validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(errors_of(exc, ("body",))) from exc
    if errors := _rule_errors(event, ("body",)):
        raise RequestValidationError(errors)
    return event


@dataclass(slots=True)  # a thousand per batch: slots, and not frozen (cheaper to build)
class ParsedItem:
    index: int
    id: str | None
    event: "VendorBatchItem | WireItem | None"
    errors: list[dict[str, Any]]


def _rendered(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"detail": e["msg"], "code": e["type"], "pointer": json_pointer(e["loc"])} for e in errors]


class WireData(msgspec.Struct, forbid_unknown_fields=True):
    """`SessionIndicators` as it arrives, decoded by msgspec (about a fifth of pydantic's time for a
    batch: the hot path of the batched ingest). Narrower than `SessionIndicators`: whatever this
    accepts, `SessionIndicators` accepts with the same meaning; anything else goes the slow way, which
    names the errors. (NUL characters are checked after decoding, in `_fast_path_ok`.)"""

    vendor_session_id: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    participant_id: UUID
    provider_id: UUID
    started_at: Annotated[datetime, msgspec.Meta(tz=True)]
    duration_minutes: Annotated[int, msgspec.Meta(ge=0, le=600)]
    session_id: UUID | None = None
    engagement_id: UUID | None = None
    match_id: UUID | None = None
    rating: Annotated[int, msgspec.Meta(ge=1, le=5)] | None = None


class WireItem(msgspec.Struct, forbid_unknown_fields=True):
    id: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    type: EventType
    data: WireData
    timestamp: Annotated[datetime, msgspec.Meta(tz=True)] | None = None


BATCH = msgspec.json.Decoder(list[WireItem])


def _fast_path_ok(events: list[WireItem], max_items: int) -> bool:
    """The checks msgspec does not make: batch size, NUL characters, the rating rule."""
    return 0 < len(events) <= max_items and not any(
        "\x00" in e.id or "\x00" in e.data.vendor_session_id or _rule_errors(e, ()) for e in events
    )


def parse_batch(body: bytes, *, max_items: int) -> list[ParsedItem]:
    """Validate a batch: each item is either a valid event or the errors that reject it alone."""
    # The usual batch is valid throughout: decoded and validated in one pass (msgspec, in C, no Python
    # loop over JSON). Only a batch with a bad item is parsed again item by item to name its errors.
    try:
        events = BATCH.decode(body)
    except msgspec.DecodeError:  # ValidationError included
        pass
    else:
        if _fast_path_ok(events, max_items):
            return [ParsedItem(i, e.id, e, []) for i, e in enumerate(events)]
    try:
        items = json.loads(body)
    except ValueError as exc:
        raise RequestValidationError(
            [{"type": "json_invalid", "loc": ("body",), "msg": "the batch body is not valid JSON"}]
        ) from exc
    if not isinstance(items, list) or not items:
        raise RequestValidationError(
            [{"type": "list_type", "loc": ("body",), "msg": "the batch body must be a non-empty JSON array"}]
        )
    if len(items) > max_items:
        raise RequestValidationError(
            [{"type": "too_long", "loc": ("body",), "msg": f"a batch holds at most {max_items} items"}]
        )
    parsed: list[ParsedItem] = []
    for index, item in enumerate(items):
        raw_id = item.get("id") if isinstance(item, dict) else None
        item_id = raw_id if isinstance(raw_id, str) else None
        try:
            event = VendorBatchItem.model_validate(item)
        except ValidationError as exc:
            parsed.append(ParsedItem(index, item_id, None, _rendered(errors_of(exc, (index,)))))
            continue
        rule_errors = _rule_errors(event, (index,))
        if rule_errors:
            parsed.append(ParsedItem(index, item_id, None, _rendered(rule_errors)))
        else:
            parsed.append(ParsedItem(index, item_id, event, []))
    return parsed
