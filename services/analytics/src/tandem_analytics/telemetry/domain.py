"""Standard Webhooks signatures (https://www.standardwebhooks.com), as pure functions.

The signed content is ``"{webhook-id}.{webhook-timestamp}.{raw body}"``; the signature is the
base64 HMAC-SHA256 of it under the secret's key bytes (``whsec_<base64 key>``), sent as
``webhook-signature: v1,<base64>``. Several space-separated signatures may be sent (key rotation);
one valid ``v1`` signature is enough. The timestamp is integer seconds since the Unix epoch.
"""

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

SECRET_PREFIX = "whsec_"
VERSION = "v1"


class SignatureError(Exception):
    """The message cannot be trusted; `reason` is safe to show to the sender."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class WebhookHeaders:
    id: str | None
    timestamp: str | None
    signature: str | None


def secret_key(secret: str) -> bytes:
    raw = secret.removeprefix(SECRET_PREFIX)
    try:
        return base64.b64decode(raw, validate=True)
    except binascii.Error as exc:
        raise ValueError("webhook secret is not base64") from exc


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``v1,<base64>`` signature a sender puts in ``webhook-signature``."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), content, hashlib.sha256).digest()
    return f"{VERSION},{base64.b64encode(digest).decode()}"


def verify(secret: str, headers: WebhookHeaders, body: bytes, *, now: float, tolerance: int) -> int:
    """Check the headers and signature of a message; returns its timestamp or raises SignatureError."""
    if not headers.id or not headers.timestamp or not headers.signature:
        missing = [
            name
            for name, value in (
                ("webhook-id", headers.id),
                ("webhook-timestamp", headers.timestamp),
                ("webhook-signature", headers.signature),
            )
            if not value
        ]
        raise SignatureError(f"Missing header(s): {', '.join(missing)}.")
    try:
        timestamp = int(headers.timestamp)
    except ValueError as exc:
        raise SignatureError("webhook-timestamp must be integer seconds since the epoch.") from exc
    # Checked before the HMAC, so a replayed old message is refused whatever its signature.
    if abs(now - timestamp) > tolerance:
        raise SignatureError(f"webhook-timestamp is outside the accepted window of ±{tolerance} s.")
    expected = signature(secret, headers.id, timestamp, body).encode()
    for candidate in headers.signature.split(" "):
        version, _, _value = candidate.partition(",")
        if version == VERSION and hmac.compare_digest(candidate.encode(), expected):
            return timestamp
    raise SignatureError("No webhook-signature matches the message.")
