import pytest

from tandem_gateway.routing.domain import (
    compile_route_scopes,
    forwarding_audiences,
    request_headers,
    required_scope,
    required_scopes,
    response_headers,
    route_scopes,
)


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
    assert forwarding_audiences("consent") == {"tandem", "consent"}


@pytest.mark.parametrize(
    ("service", "method", "path", "scopes"),
    [
        # Where the coarse rule and the services disagreed (issue 9, item 8): the service's scope wins.
        ("consent", "POST", "checks", {"consent:read"}),
        ("consent", "POST", "anonymity-checks", {"consent:read"}),
        ("analytics", "GET", "vendors", {"admin"}),
        ("consent", "POST", "purposes", {"consent:write", "admin"}),
        ("consent", "POST", "data-subject-requests/7/receipts", {"consent:receipt"}),
        ("matching", "POST", "proposals/7/approve", {"matching:decide"}),
        ("matching", "HEAD", "programs/7", {"matching:read"}),
        ("analytics", "POST", "vendors/betterup/events:batch", {"analytics:ingest"}),
        # No such route: the coarse rule (the service answers 404).
        ("matching", "DELETE", "programs/7", {"matching:write"}),
    ],
)
def test_required_scopes_follow_the_services(service: str, method: str, path: str, scopes: set[str]) -> None:
    assert required_scopes(service, method, path) == scopes


def test_most_literal_template_wins() -> None:
    routes = compile_route_scopes(
        {"s": {"/x/{id}": {"GET": ["a"]}, "/x/{id}.ics": {"GET": ["b"]}, "/x/{id}/y": {"POST": ["c"]}}}
    )["s"]
    assert route_scopes(routes, "GET", "/x/1.ics") == ("/x/{id}.ics", {"b"})
    assert route_scopes(routes, "GET", "/x/1") == ("/x/{id}", {"a"})
    assert route_scopes(routes, "GET", "/x/1/y") is None
    assert route_scopes(routes, "POST", "/x/1/y") == ("/x/{id}/y", {"c"})


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
