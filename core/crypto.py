"""Field encryption and blind indexes.

Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`) gives authenticated encryption;
MultiFernet gives key rotation: the first key of `FIELD_ENCRYPTION_KEYS` encrypts, every key
decrypts. Blind indexes are HMAC-SHA256 under `BLIND_INDEX_KEY`, a key of its own, so an
exact lookup works without decrypting and the index alone reveals nothing.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

__all__ = [
    "InvalidToken",
    "blind_index",
    "decrypt",
    "encrypt",
    "is_current",
    "normalise_email",
    "rotate",
]


@lru_cache(maxsize=8)
def _fernets(keys: tuple[str, ...]) -> tuple[MultiFernet, Fernet]:
    fernets = [Fernet(key.encode()) for key in keys]
    return MultiFernet(fernets), fernets[0]


def _current() -> tuple[MultiFernet, Fernet]:
    return _fernets(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: bytes) -> bytes:
    return _current()[0].encrypt(plaintext)


def decrypt(token: bytes) -> bytes:
    return _current()[0].decrypt(token)


def is_current(token: bytes) -> bool:
    """Whether `token` is encrypted under the newest key (so `reencrypt` can skip it)."""
    try:
        _current()[1].decrypt(token)
    except InvalidToken:
        return False
    return True


def rotate(token: bytes) -> bytes:
    return _current()[0].rotate(token)


def normalise_email(value: str) -> str:
    return value.strip().casefold()


def normalise_text(value: str) -> str:
    return " ".join(value.split()).casefold()


NORMALISERS: dict[str, Callable[[str], str]] = {
    "email": normalise_email,
    "text": normalise_text,
}


def blind_index(value: str | None, *, normaliser: str = "email") -> str | None:
    if value is None or value == "":
        return None
    normalised = NORMALISERS[normaliser](value)
    return hmac.new(
        settings.BLIND_INDEX_KEY.encode(), normalised.encode(), hashlib.sha256
    ).hexdigest()
