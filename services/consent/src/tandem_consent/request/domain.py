"""Data-subject requests: deadlines, completeness, and what a service's receipt may carry."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    ACCESS = "access"
    ERASURE = "erasure"


class Status(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"


class Outcome(StrEnum):
    COMPLETED = "completed"
    NOTHING_HELD = "nothing_held"


def due_at(opened_at: datetime, days: int) -> datetime:
    return opened_at + timedelta(days=days)


def missing(expected: Sequence[str], received: Collection[str]) -> list[str]:
    """Services still owing a receipt, in the order they are expected."""
    return [s for s in expected if s not in received]


def status_after(expected: Sequence[str], received: Collection[str]) -> Status:
    return Status.OPEN if missing(expected, received) else Status.COMPLETED


def is_overdue(status: Status, due: datetime, now: datetime) -> bool:
    return status is Status.OPEN and now > due


# Services answer within minutes: a failing event is retried for a quarter of an hour, then parked
# and replayed every minute. A request still open a day after its event went out needs a look.
STALLED_AFTER = timedelta(hours=24)


def is_stalled(status: Status, dispatched_at: datetime, now: datetime) -> bool:
    """Open, and no re-dispatch for `STALLED_AFTER`: some service has not answered (see `missing`)."""
    return status is Status.OPEN and now - dispatched_at > STALLED_AFTER


@dataclass(frozen=True)
class ReceiptProblem:
    pointer: str
    detail: str


def receipt_problem(
    kind: Kind, outcome: Outcome, records: int, export: dict[str, Any] | None
) -> ReceiptProblem | None:
    """Why a receipt does not fit its request, or None.

    An erasure receipt never carries personal data back; an access receipt that found data carries it;
    "nothing held" means no records.
    """
    if outcome is Outcome.NOTHING_HELD and records:
        return ReceiptProblem("#/records", "a service that holds nothing erased or exported no records")
    if kind is Kind.ERASURE and export is not None:
        return ReceiptProblem("#/export", "an erasure receipt must not carry personal data")
    if kind is Kind.ACCESS and outcome is Outcome.COMPLETED and export is None:
        return ReceiptProblem("#/export", "an access receipt must carry the data exported")
    return None
