"""Webhook secrets: generated per Standard Webhooks (`whsec_` + base64) and sealed with Fernet at rest."""

import base64
import secrets

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SECRET_PREFIX = "whsec_"


def new_webhook_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def fernet_for(internal_secret: str) -> Fernet:
    # A dedicated derived key, so the same internal secret never encrypts two kinds of data.
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"tandem-analytics/vendor-webhook-secret"
    ).derive(internal_secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(internal_secret: str, webhook_secret: str) -> bytes:
    return fernet_for(internal_secret).encrypt(webhook_secret.encode())


def unseal(internal_secret: str, sealed: bytes) -> str:
    return fernet_for(internal_secret).decrypt(sealed).decode()
