"""Pure rules of connections."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tandem_gateway.connections.domain import REFRESH_MARGIN, expiry, is_fresh, missing_scopes

NOW = datetime(2027, 1, 1, tzinfo=UTC)


def test_microsoft_answers_graph_scopes_in_its_own_spelling() -> None:
    requested = ("offline_access", "User.Read", "Calendars.ReadWrite")
    granted = ["https://graph.microsoft.com/calendars.readwrite", "https://graph.microsoft.com/User.Read"]
    assert missing_scopes(requested, granted) == []
    assert missing_scopes(requested, granted[:1]) == ["User.Read"]


def test_google_unticked_scope_is_missing() -> None:
    requested = (
        "https://www.googleapis.com/auth/calendar.freebusy",
        "https://www.googleapis.com/auth/calendar.events.owned",
    )
    assert missing_scopes(requested, [requested[0]]) == [requested[1]]


@given(st.integers(min_value=-3600, max_value=3600))
def test_fresh_exactly_when_more_than_the_margin_is_left(seconds_left: int) -> None:
    expires_at = NOW + timedelta(seconds=seconds_left)
    assert is_fresh(expires_at, NOW) is (timedelta(seconds=seconds_left) > REFRESH_MARGIN)


def test_no_announced_expiry_is_fresh_and_expiry_follows_expires_in() -> None:
    assert is_fresh(None, NOW) is True
    assert expiry({"expires_in": 3599}, NOW) == NOW + timedelta(seconds=3599)
    assert expiry({}, NOW) is None
