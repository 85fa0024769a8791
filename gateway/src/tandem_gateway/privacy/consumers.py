"""Consent's data-subject requests, answered for the gateway's part (its registered personal data).

The receipt goes to consent with a token the gateway signs for itself (`client_name` "gateway",
scope `consent:receipt`): the gateway is the authorization server, so it needs no client of its own.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import SecretStr

from tandem_gateway.oauth.domain import DEFAULT_AUDIENCE
from tandem_gateway.oauth.keys import KeyStore
from tandem_gateway.oauth.service import sign_access_token
from tandem_gateway.privacy.registry import PersonalData
from tandem_kit.events import Subscription
from tandem_kit.oauth_client import ServiceClient
from tandem_kit.privacy import person_data_subscription

SERVICE = "gateway"
RECEIPT_TOKEN_TTL = timedelta(minutes=5)


class OwnTokens:
    """Tokens the gateway signs for its own calls to consent."""

    def __init__(self, keystore: KeyStore, issuer: str) -> None:
        self.keystore, self.issuer = keystore, issuer

    async def token(self) -> str:
        await self.keystore.refresh()
        token, _ = sign_access_token(
            self.keystore,
            issuer=self.issuer,
            subject=SERVICE,
            client_id=SERVICE,
            client_name=SERVICE,
            audience=DEFAULT_AUDIENCE,
            scopes=["consent:receipt"],
            ttl=RECEIPT_TOKEN_TTL,
        )
        return token


def consent_client(keystore: KeyStore, *, issuer: str, consent_url: str) -> ServiceClient:
    return ServiceClient(consent_url, OwnTokens(keystore, issuer))


def data_subject_requests(
    personal_data: PersonalData, consent: ServiceClient, *, erasure_key: SecretStr
) -> Subscription:
    """Answers every access or erasure request that lists the gateway, with a receipt to consent."""
    return person_data_subscription(
        service=SERVICE,
        consent=consent,
        export=personal_data.export_person,
        erase=personal_data.erase_person,
        erasure_key=erasure_key,
    )
