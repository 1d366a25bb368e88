"""Field encryption and blind indexes.

Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`) gives authenticated encryption;
MultiFernet gives key rotation: the first key of `FIELD_ENCRYPTION_KEYS` encrypts, every key
decrypts. Blind indexes are HMAC-SHA256 under `BLIND_INDEX_KEY`, a key of its own, so an
exact lookup works without decrypting and the index alone reveals nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

__all__ = [
    "InvalidToken",
    "blind_index",
    "decrypt",
    "encrypt",
    "fold_name",
    "is_current",
    "name_token_digests",
    "name_tokens",
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


def _keyed(text: str) -> str:
    return hmac.new(settings.BLIND_INDEX_KEY.encode(), text.encode(), hashlib.sha256).hexdigest()


def blind_index(value: str | None, *, normaliser: str = "email") -> str | None:
    if value is None or value == "":
        return None
    return _keyed(NORMALISERS[normaliser](value))


# Latin letters that NFKD leaves whole (they are letters of their own, not a base letter with
# a mark): folded by hand, as a person typing without them would write them.
_UNDECOMPOSED = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i"}
)
_APOSTROPHES = re.compile("['’ʼ`´]")
_SEPARATORS = re.compile(r"[\W_]+")


def fold_name(value: str) -> str:
    """Case and diacritics folded: "Bērziņš" -> "berzins", "Straße" -> "strasse"."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.translate(_UNDECOMPOSED)


def name_tokens(value: str | None) -> list[str]:
    """The distinct search tokens of a name, in order of first appearance."""
    if not value:
        return []
    joined = _APOSTROPHES.sub("", fold_name(value))
    return list(dict.fromkeys(t for t in _SEPARATORS.split(joined) if t))


def name_token_digests(value: str | None) -> list[str]:
    """The blind index of each token of `value` (see the module's docstring)."""
    return [_keyed(f"name:{token}") for token in name_tokens(value)]
