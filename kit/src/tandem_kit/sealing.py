"""Secrets encrypted at rest: Fernet under a key derived (HKDF-SHA256) from the part's
`internal_secret`, one derived key per kind of data, so one secret never encrypts two kinds."""

import base64
from functools import lru_cache

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def derive_key(internal_secret: str, *, info: bytes, salt: bytes | None = None) -> bytes:
    """32 bytes for one kind of use (`info`), derived from `internal_secret` (HKDF-SHA256)."""
    return HKDF(algorithm=SHA256(), length=32, salt=salt, info=info).derive(internal_secret.encode())


@lru_cache(maxsize=16)
def fernet_for(internal_secret: str, *, info: bytes, salt: bytes | None = None) -> Fernet:
    """The Fernet for one kind of data (`info`); derived once per process and kept."""
    return Fernet(base64.urlsafe_b64encode(derive_key(internal_secret, info=info, salt=salt)))
