import pytest

from tandem_gateway.routing.domain import audience_allows, request_headers, required_scope, response_headers


@pytest.mark.parametrize(
    ("service", "method", "path", "scope"),
    [
        ("consent", "GET", "purposes", "consent:read"),
        ("consent", "HEAD", "purposes", "consent:read"),
        ("consent", "POST", "purposes", "consent:write"),
        ("matching", "DELETE", "programs/1", "matching:write"),
        ("analytics", "POST", "vendors/betterup/events", "analytics:ingest"),
        ("analytics", "POST", "vendors/betterup/events:batch", "analytics:ingest"),
        ("analytics", "GET", "vendors/betterup/events/abc", "analytics:ingest"),
        ("analytics", "GET", "kpis", "analytics:read"),
        ("analytics", "POST", "vendors", "admin"),
        ("scheduling", "GET", "admin/sla-policies", "admin"),
        # Parked events: listed and replayed by operations in every service.
        ("matching", "GET", "admin/dead-letters", "admin"),
        ("analytics", "POST", "admin/dead-letters/0b7c/replay", "admin"),
        ("scheduling", "DELETE", "admin/dead-letters/0b7c", "admin"),
    ],
)
def test_required_scope(service: str, method: str, path: str, scope: str) -> None:
    assert required_scope(service, method, path) == scope


def test_audience() -> None:
    assert audience_allows("tandem", "consent") is True
    assert audience_allows(["consent", "x"], "consent") is True
    assert audience_allows("matching", "consent") is False
    assert audience_allows(None, "consent") is False


def test_request_headers_whitelist() -> None:
    kept = request_headers(
        [("Authorization", "Bearer t"), ("Connection", "close"), ("Cookie", "a=b"), ("Webhook-Id", "1"),
         ("X-Forwarded-For", "10.0.0.1")],
        request_id="r1",
        client_host="10.0.0.2",
        scheme="https",
    )  # fmt: skip
    assert kept == [
        ("Authorization", "Bearer t"),
        ("Webhook-Id", "1"),
        ("x-request-id", "r1"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-for", "10.0.0.1, 10.0.0.2"),
    ]


def test_response_headers_drop_hop_by_hop() -> None:
    headers = [
        ("Content-Type", "a/b"),
        ("Transfer-Encoding", "chunked"),
        ("Keep-Alive", "5"),
        ("x-request-id", "u"),
    ]
    assert response_headers(headers) == [("Content-Type", "a/b")]
