"""Webhook secrets: generated per Standard Webhooks (`whsec_` + base64) and sealed with Fernet at rest."""

import base64
import secrets

from tandem_kit.sealing import fernet_for

SECRET_PREFIX = "whsec_"


def new_webhook_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


WEBHOOK_SECRETS = b"tandem-analytics/vendor-webhook-secret"


def seal(internal_secret: str, webhook_secret: str) -> bytes:
    return fernet_for(internal_secret, info=WEBHOOK_SECRETS).encrypt(webhook_secret.encode())


def unseal(internal_secret: str, sealed: bytes) -> str:
    return fernet_for(internal_secret, info=WEBHOOK_SECRETS).decrypt(sealed).decode()
