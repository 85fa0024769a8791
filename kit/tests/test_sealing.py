"""The derived keys stay the ones data was sealed with before the helper existed."""

import base64

import pytest
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tandem_kit.sealing import fernet_for


def derived(secret: str, info: bytes, salt: bytes | None) -> Fernet:
    key = HKDF(algorithm=SHA256(), length=32, salt=salt, info=info).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def test_sealed_data_opens_with_the_same_derivation() -> None:
    for info, salt in (
        (b"signing-keys", b"tandem-gateway"),
        (b"tandem-analytics/vendor-webhook-secret", None),
    ):
        sealed = derived("s3cret-value", info, salt).encrypt(b"payload")
        assert fernet_for("s3cret-value", info=info, salt=salt).decrypt(sealed) == b"payload"


def test_one_kind_of_data_cannot_open_another() -> None:
    sealed = fernet_for("s3cret-value", info=b"signing-keys").encrypt(b"payload")
    other = fernet_for("s3cret-value", info=b"tandem-analytics/vendor-webhook-secret")
    with pytest.raises(InvalidToken):
        other.decrypt(sealed)
