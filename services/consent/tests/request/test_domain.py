from datetime import UTC, datetime, timedelta

import pytest

from tandem_consent.request.domain import (
    STALLED_AFTER,
    Kind,
    Outcome,
    ReceiptProblem,
    Status,
    due_at,
    is_overdue,
    is_stalled,
    missing,
    receipt_problem,
    status_after,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SERVICES = ["consent", "matching", "scheduling", "analytics", "gateway"]


def test_due_thirty_days_after_opening() -> None:
    assert due_at(NOW, 30) == datetime(2026, 12, 23, 12, 0, tzinfo=UTC)


def test_missing_keeps_expected_order() -> None:
    assert missing(SERVICES, {"gateway", "consent"}) == ["matching", "scheduling", "analytics"]


def test_complete_only_when_every_service_answered() -> None:
    assert status_after(SERVICES, SERVICES[:-1]) is Status.OPEN
    assert status_after(SERVICES, set(SERVICES)) is Status.COMPLETED


@pytest.mark.parametrize(
    ("status", "due", "expected"),
    [
        (Status.OPEN, NOW - timedelta(seconds=1), True),
        (Status.OPEN, NOW, False),
        (Status.COMPLETED, NOW - timedelta(days=9), False),
    ],
)
def test_is_overdue(status: Status, due: datetime, expected: bool) -> None:
    assert is_overdue(status, due, NOW) is expected


@pytest.mark.parametrize(
    ("kind", "outcome", "records", "export", "pointer"),
    [
        (Kind.ACCESS, Outcome.COMPLETED, 3, {"sessions": []}, None),
        (Kind.ACCESS, Outcome.COMPLETED, 3, None, "#/export"),
        (Kind.ACCESS, Outcome.NOTHING_HELD, 0, None, None),
        (Kind.ACCESS, Outcome.NOTHING_HELD, 2, None, "#/records"),
        (Kind.ERASURE, Outcome.COMPLETED, 7, None, None),
        (Kind.ERASURE, Outcome.COMPLETED, 7, {"sessions": []}, "#/export"),
        (Kind.ERASURE, Outcome.NOTHING_HELD, 0, None, None),
    ],
)
def test_receipt_problem(
    kind: Kind, outcome: Outcome, records: int, export: dict[str, object] | None, pointer: str | None
) -> None:
    problem = receipt_problem(kind, outcome, records, export)
    assert (problem.pointer if isinstance(problem, ReceiptProblem) else None) == pointer


def test_stalled_a_day_after_the_last_dispatch_while_open() -> None:
    assert is_stalled(Status.OPEN, NOW - STALLED_AFTER, NOW) is False
    assert is_stalled(Status.OPEN, NOW - STALLED_AFTER - timedelta(seconds=1), NOW) is True
    assert is_stalled(Status.COMPLETED, NOW - timedelta(days=30), NOW) is False
