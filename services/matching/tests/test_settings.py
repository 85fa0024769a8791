import pytest
from pydantic import ValidationError

from tandem_matching.settings import Settings


def test_production_refuses_placeholder_client_secret() -> None:
    with pytest.raises(ValidationError, match="client_secret"):
        Settings(environment="production", internal_secret="s3cret-value", client_secret="dev")


def test_consent_defaults() -> None:
    settings = Settings()
    assert (settings.consent_url, settings.consent_cache_seconds) == ("http://127.0.0.1:8003", 60.0)
