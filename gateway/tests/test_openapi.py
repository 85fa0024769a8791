"""The gateway's OpenAPI document: OAuth endpoints answer RFC 6749 errors, everything else problem+json."""

from typing import Any

import pytest
from fastapi import FastAPI

from tandem_kit.errors import PROBLEM_JSON

OAUTH_ERROR = {"$ref": "#/components/schemas/OAuthError"}


def responses(app: FastAPI, method: str, path: str) -> dict[str, Any]:
    found: dict[str, Any] = app.openapi()["paths"][path][method]["responses"]
    return found


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/revoke", "/oauth/introspect"])
def test_oauth_errors_are_rfc6749_not_problems(app: FastAPI, path: str) -> None:
    found = responses(app, "post", path)
    for status in ("400", "401", "429"):
        assert found[status]["content"] == {"application/json": {"schema": OAUTH_ERROR}}, status
    assert "Retry-After" in found["429"]["headers"]
    assert "WWW-Authenticate" in found["401"]["headers"]
    # The body-size limit and outages are the kit's, served as problem+json before the endpoint runs.
    assert list(found["413"]["content"]) == [PROBLEM_JSON]
    assert list(found["503"]["content"]) == [PROBLEM_JSON]


def test_proxy_documents_whatever_the_service_answers(app: FastAPI) -> None:
    found = responses(app, "post", "/api/v1/{service}/{path}")
    assert "its own document at `/api/v1/{service}/openapi.json`" in found["default"]["description"]
    assert found["404"]["content"][PROBLEM_JSON]["examples"]["unknown-service"]["value"]["status"] == 404
    assert "gateway-timeout" in found["504"]["content"][PROBLEM_JSON]["examples"]


def test_admin_routes_document_their_domain_errors(app: FastAPI) -> None:
    found = responses(app, "post", "/api/v1/admin/clients")
    assert sorted(found) == ["201", "400", "401", "403", "409", "413", "415", "422", "503"]
    assert set(found["409"]["content"][PROBLEM_JSON]["examples"]) == {"client-exists", "conflict"}
