import pytest

from tandem_kit.oauth_client import ClientCredentials
from tandem_scheduling.app import consent_client
from tandem_scheduling.settings import Settings


async def test_consent_client_is_schedulings_own_with_write_scope(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCHEDULING_CONSENT_URL", "http://consent.internal:8000")
    client = consent_client(Settings(environment="test"))
    try:
        assert str(client.http.base_url) == "http://consent.internal:8000"
        assert isinstance(client.tokens, ClientCredentials)
        assert client.tokens.token_url == "http://127.0.0.1:8000/oauth/token"
        assert (client.tokens._client.client_id, client.tokens._client.scope) == (
            "scheduling",
            "consent:receipt",
        )
    finally:
        await client.aclose()


def test_production_refuses_the_placeholder_client_secret() -> None:
    with pytest.raises(ValueError, match="client_secret"):
        Settings(environment="production", internal_secret="a-real-secret")
