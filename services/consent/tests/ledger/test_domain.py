"""Pure tests of consent evaluation: permissions, grant coverage, idempotence, usable fields, timing."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandem_consent.ledger.domain import (
    CLOCK_SKEW,
    NEVER_ASKED,
    Action,
    Actor,
    FieldNotInNotice,
    Permission,
    Snapshot,
    TimeProblem,
    after,
    granted_fields,
    may_record,
    occurred_at_problem,
    usable_fields,
)

ME = uuid.UUID("00000000-0000-4000-8000-000000000001")
YOU = uuid.UUID("00000000-0000-4000-8000-000000000002")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

keys = st.text(alphabet="abcdefgh_", min_size=1, max_size=4)
key_sets = st.frozensets(keys, max_size=8)


@pytest.mark.parametrize(
    ("actor", "action", "expected"),
    [
        (Actor(None), Action.GRANTED, Permission.ALLOWED),
        (Actor(None), Action.WITHDRAWN, Permission.ALLOWED),
        (Actor(ME), Action.GRANTED, Permission.ALLOWED),
        (Actor(ME), Action.WITHDRAWN, Permission.ALLOWED),
        (Actor(YOU), Action.GRANTED, Permission.NOT_VISIBLE),
        (Actor(YOU, frozenset({"coach"})), Action.WITHDRAWN, Permission.NOT_VISIBLE),
        (Actor(YOU, frozenset({"program_manager"})), Action.GRANTED, Permission.FORBIDDEN),
        (Actor(YOU, frozenset({"program_manager"})), Action.WITHDRAWN, Permission.ALLOWED),
        (Actor(YOU, frozenset({"admin"})), Action.GRANTED, Permission.FORBIDDEN),
        (Actor(YOU, frozenset({"admin", "coach"})), Action.WITHDRAWN, Permission.ALLOWED),
    ],
)
def test_may_record(actor: Actor, action: Action, expected: Permission) -> None:
    assert may_record(actor, ME, action) is expected


def test_default_grant_leaves_confidential_fields_out() -> None:
    fields = granted_fields(["session_transcripts", "skills", "job_level"], {"session_transcripts"}, None)
    assert fields == ("job_level", "skills")


def test_confidential_field_covered_when_named() -> None:
    fields = granted_fields(
        ["session_transcripts", "skills"], {"session_transcripts"}, ["session_transcripts"]
    )
    assert fields == ("session_transcripts",)


def test_first_field_outside_the_notice_is_reported() -> None:
    problem = granted_fields(["skills", "tenure"], set(), ["tenure", "star_sign", "shoe_size"])
    assert problem == FieldNotInNotice(index=1, key="star_sign")


@given(notice=key_sets, confidential=key_sets)
def test_default_grant_is_notice_minus_confidential(
    notice: frozenset[str], confidential: frozenset[str]
) -> None:
    fields = granted_fields(notice, confidential, None)
    assert fields == tuple(sorted(notice - confidential))


@given(notice=key_sets, requested=st.lists(keys, unique=True, max_size=8))
def test_named_fields_are_covered_exactly_when_all_documented(
    notice: frozenset[str], requested: list[str]
) -> None:
    result = granted_fields(notice, frozenset(), requested)
    if set(requested) <= notice:
        assert result == tuple(sorted(requested))
    else:
        assert isinstance(result, FieldNotInNotice)
        assert result.key not in notice
        assert all(k in notice for k in requested[: result.index])


def test_withdrawing_what_was_never_granted_changes_nothing() -> None:
    assert after(NEVER_ASKED, Action.WITHDRAWN, notice_version=None, fields=()) is None


def test_withdrawal_clears_version_and_fields() -> None:
    granted = Snapshot(True, 3, ("skills",))
    assert after(granted, Action.WITHDRAWN, notice_version=None, fields=()) == NEVER_ASKED


def test_narrowing_a_grant_is_a_change() -> None:
    granted = Snapshot(True, 1, ("skills", "tenure"))
    assert after(granted, Action.GRANTED, notice_version=1, fields=["tenure"]) == Snapshot(
        True, 1, ("tenure",)
    )


@given(
    version=st.integers(min_value=1, max_value=50),
    fields=st.lists(keys, unique=True, max_size=6),
    start=st.sampled_from([NEVER_ASKED, Snapshot(True, 1, ("a",)), Snapshot(True, 2, ())]),
)
def test_repeating_a_grant_changes_nothing(version: int, fields: list[str], start: Snapshot) -> None:
    once = after(start, Action.GRANTED, notice_version=version, fields=fields) or start
    assert once.granted
    assert after(once, Action.GRANTED, notice_version=version, fields=list(reversed(fields))) is None


@given(granted=st.booleans(), stored=key_sets, documented=key_sets)
def test_usable_fields_are_granted_and_still_documented(
    granted: bool, stored: frozenset[str], documented: frozenset[str]
) -> None:
    state = Snapshot(granted, 1 if granted else None, tuple(sorted(stored)))
    usable = usable_fields(state, documented)
    assert usable == (tuple(sorted(stored & documented)) if granted else ())


@pytest.mark.parametrize(
    ("occurred_at", "latest", "published", "expected"),
    [
        (NOW, None, NOW - timedelta(days=1), None),
        (NOW + CLOCK_SKEW, None, None, None),
        (NOW + CLOCK_SKEW + timedelta(microseconds=1), None, None, TimeProblem.FUTURE),
        (NOW - timedelta(days=2), None, NOW - timedelta(days=1), TimeProblem.BEFORE_NOTICE),
        (NOW - timedelta(days=1), None, NOW - timedelta(days=1), None),
        (NOW - timedelta(hours=1), NOW, None, TimeProblem.OUT_OF_ORDER),
        (NOW, NOW, None, None),
        (datetime(2026, 11, 23, 12, 0), None, None, TimeProblem.NAIVE),
    ],
)
def test_occurred_at_problem(
    occurred_at: datetime, latest: datetime | None, published: datetime | None, expected: TimeProblem | None
) -> None:
    assert (
        occurred_at_problem(occurred_at, now=NOW, latest_decision=latest, notice_published_at=published)
        is expected
    )
