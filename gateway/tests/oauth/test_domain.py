from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandem_gateway.oauth.domain import (
    SCOPES,
    VERIFIER_LEEWAY_SECONDS,
    KeyTimes,
    UserTokenExpiry,
    granted_scopes,
    hash_secret,
    key_schedule,
    parse_scopes,
    retry_after,
    role_scopes,
    sliding_count,
    tandem_roles,
    user_token_expiry,
    verify_secret,
    window_start,
)

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TTL = timedelta(minutes=15)


def test_single_key_signs_and_is_published() -> None:
    schedule = key_schedule([KeyTimes("a", T0)], T0, token_ttl=TTL)
    assert schedule.signing == "a"
    assert schedule.published == ("a",)


def test_next_key_published_before_it_signs() -> None:
    keys = [KeyTimes("a", T0), KeyTimes("b", T0 + timedelta(seconds=60))]
    schedule = key_schedule(keys, T0 + timedelta(seconds=59), token_ttl=TTL)
    assert schedule.signing == "a"
    assert schedule.published == ("a", "b")
    assert schedule.states == {"a": "current", "b": "next"}


def test_retired_key_published_until_its_tokens_expire() -> None:
    keys = [KeyTimes("a", T0), KeyTimes("b", T0 + timedelta(seconds=60))]
    last_token_expiry = T0 + timedelta(seconds=60) + TTL + timedelta(seconds=VERIFIER_LEEWAY_SECONDS)
    before = key_schedule(keys, last_token_expiry - timedelta(seconds=1), token_ttl=TTL)
    after = key_schedule(keys, last_token_expiry, token_ttl=TTL)
    assert before.states == {"a": "retired", "b": "current"}
    assert before.published == ("a", "b")
    assert after.states == {"a": "expired", "b": "current"}
    assert after.published == ("b",)


def test_no_active_key_signs_nothing() -> None:
    schedule = key_schedule([KeyTimes("a", T0 + timedelta(seconds=1))], T0, token_ttl=TTL)
    assert schedule.signing is None
    assert schedule.published == ("a",)


@given(
    offsets=st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=6, unique=True),
    at=st.integers(min_value=0, max_value=20_000),
)
def test_signing_key_always_published(offsets: list[int], at: int) -> None:
    keys = [KeyTimes(f"k{o}", T0 + timedelta(seconds=o)) for o in offsets]
    schedule = key_schedule(keys, T0 + timedelta(seconds=at), token_ttl=TTL)
    if schedule.signing is not None:
        assert schedule.signing in schedule.published
        assert schedule.states[schedule.signing] == "current"
    assert sum(1 for s in schedule.states.values() if s == "current") == (1 if schedule.signing else 0)


def test_granted_scopes_defaults_to_allowed() -> None:
    assert granted_scopes(None, ["consent:read", "admin"]) == ["consent:read", "admin"]


def test_granted_scopes_subset() -> None:
    assert granted_scopes("admin consent:read", ["consent:read", "admin", "matching:read"]) == [
        "consent:read",
        "admin",
    ]


def test_granted_scopes_refuses_extra() -> None:
    assert granted_scopes("consent:write", ["consent:read"]) is None


def test_parse_scopes_all() -> None:
    assert parse_scopes("all") == list(SCOPES)


def test_parse_scopes_comma_list() -> None:
    assert parse_scopes("consent:read,matching:read") == ["matching:read", "consent:read"]


def test_parse_scopes_unknown() -> None:
    with pytest.raises(ValueError, match="unknown scopes: payroll:read"):
        parse_scopes("payroll:read")


def test_secret_hash_roundtrip() -> None:
    stored = hash_secret("s3cret")
    assert verify_secret("s3cret", stored) is True
    assert verify_secret("s3cret!", stored) is False
    assert hash_secret("s3cret") != stored  # salted


def test_verify_secret_rejects_malformed_hash() -> None:
    assert verify_secret("x", "plain") is False


def test_failures_just_before_a_window_boundary_still_count_after_it() -> None:
    # Three failures at 12:00:59.9, one at 12:01:00.1: a fixed window would count 1 and let it pass.
    just_after = datetime(2026, 11, 23, 12, 1, 0, 100_000, tzinfo=UTC)
    assert sliding_count(1, 3, just_after, 60) > 3
    # A whole window later the old failures no longer count.
    assert sliding_count(1, 3, datetime(2026, 11, 23, 12, 1, 59, 999_999, tzinfo=UTC), 60) < 1.001


@given(
    in_window=st.integers(0, 1000),
    previous=st.integers(0, 1000),
    offset=st.floats(0, 59.999),
)
def test_sliding_count_lies_between_the_current_window_and_both(
    in_window: int, previous: int, offset: float
) -> None:
    now = datetime(2026, 11, 23, 12, 1, tzinfo=UTC) + timedelta(seconds=offset)
    assert in_window <= sliding_count(in_window, previous, now, 60) <= in_window + previous


def test_window_and_retry_after() -> None:
    now = datetime(2026, 11, 23, 12, 0, 45, tzinfo=UTC)
    assert window_start(now, 60) == datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert retry_after(now, 60) == 15
    assert retry_after(datetime(2026, 11, 23, 12, 0, 59, 500_000, tzinfo=UTC), 60) == 1


def test_tandem_roles_from_groups() -> None:
    role_map = {"tandem-pm": "program_manager", "tandem-people": "participant", "coaches": "coach"}
    assert tandem_roles(["Everyone", "tandem-pm", "tandem-people"], role_map) == [
        "participant",
        "program_manager",
    ]
    assert tandem_roles("coaches tandem-people", role_map) == ["participant", "coach"]
    assert tandem_roles(["Everyone"], role_map) == []
    assert tandem_roles(None, role_map) == []
    assert tandem_roles([1, {"x": 2}], role_map) == []


def test_role_scopes_union_in_canonical_order() -> None:
    scopes_by_role = {
        "participant": ["consent:write", "consent:read"],
        "coach": ["scheduling:read", "consent:read"],
    }
    assert role_scopes(["participant", "coach"], scopes_by_role) == [
        "scheduling:read",
        "consent:read",
        "consent:write",
    ]
    assert role_scopes(["mentor"], scopes_by_role) == []


def test_user_token_expiry_five_minutes_refreshed_early() -> None:
    assert user_token_expiry(10_000, 1_000) == UserTokenExpiry(expires_at=1_300, refresh_at=1_270)


def test_user_token_expiry_capped_by_idp_token_kept_to_the_end() -> None:
    assert user_token_expiry(1_120, 1_000) == UserTokenExpiry(expires_at=1_120, refresh_at=1_120)
    assert user_token_expiry(1_300, 1_000) == UserTokenExpiry(expires_at=1_300, refresh_at=1_300)
