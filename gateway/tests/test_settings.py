"""Start-up validation of the trusted user-token issuers."""

from typing import Any

import pytest
from pydantic import ValidationError

from tandem_gateway.federation.limits import GATEWAY_LIMITS
from tandem_gateway.settings import Settings

IDP = {
    "issuer": "https://idp.example.test",
    "jwks_url": "https://idp.example.test/keys",
    "audience": "api://t",
}


def settings(**issuer: Any) -> Settings:
    return Settings(environment="test", issuer="https://gw.test", user_token_issuers=[{**IDP, **issuer}])


def test_issuer_from_env_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "GATEWAY_USER_TOKEN_ISSUERS",
        '[{"issuer": "https://idp.example.test", "jwks_url": "https://idp.example.test/keys", '
        '"audience": "api://t", "role_map": {"pm": "program_manager"}, '
        '"scopes_by_role": {"program_manager": ["matching:read"]}}]',
    )
    (issuer,) = Settings(environment="test").user_token_issuers
    assert issuer.role_map == {"pm": "program_manager"}
    assert issuer.person_claim == "tandem_person_id"
    assert issuer.roles_claim == "groups"


def test_off_by_default() -> None:
    assert Settings(environment="test").user_token_issuers == []


@pytest.mark.parametrize(
    ("issuer", "message"),
    [
        ({"role_map": {"g": "boss"}}, "unknown roles boss"),
        ({"scopes_by_role": {"ceo": ["admin"]}}, "unknown roles ceo"),
        ({"scopes_by_role": {"participant": ["consent:erase"]}}, "scopes not for people: consent:erase"),
        ({"scopes_by_role": {"admin": ["token:exchange"]}}, "scopes not for people: token:exchange"),
        ({"issuer": "https://gw.test"}, "the gateway's own issuer"),
        ({"jwks_urll": "typo"}, "jwks_urll"),
    ],
)
def test_refused_at_start_up(issuer: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        settings(**issuer)


def test_same_issuer_twice_refused() -> None:
    with pytest.raises(ValidationError, match="issuer twice"):
        Settings(environment="test", user_token_issuers=[IDP, IDP])


def test_one_graphql_limit_from_env_keeps_the_gateways_other_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GATEWAY_GRAPHQL_LIMITS__MAX_FIELDS", "400")

    limits = Settings(environment="test").graphql_limits

    assert limits == GATEWAY_LIMITS.model_copy(update={"max_fields": 400})
    assert limits.max_query_length == 32_768  # the gateway's, not a subgraph's 65,536
