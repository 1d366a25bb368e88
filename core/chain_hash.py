"""What an audit event's link is made of: the hash of its own fields and the link's formula
(`core.chain` says why and how the chain is kept).

Two ways to the same content hash: `content_hash` from an event being written, and
`stored_content_hash` from a row as the database hands it back, the walk's fast path. The
walk hashes every event of the log, so its path avoids what costs there: no datetime or
dict objects, one JSON parse of `details` whose integral floats become ints as they are read
(instead of a second pass over the value), and the canonical JSON put together from the
fields' encoded strings. `tests/test_chain_walk.py` holds the two to the same hash.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.ipv6 import clean_ipv6_address

# The link the first event carries as the one before it.
GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class EventContent:
    """An event's own fields, as they are stored (and read back)."""

    occurred_at: dt.datetime
    actor_id: int | None
    actor_label: str
    action: str
    target_type: str
    target_id: str
    details: Any
    ip_address: str | None


def stored_details(details: Any) -> Any:
    """The JSON value the database will hand back: what is stored is what is hashed."""
    return json.loads(json.dumps(details, cls=DjangoJSONEncoder))


def stored_ip(ip_address: str | None) -> str | None:
    if not ip_address:
        return None
    # PostgreSQL's inet prints IPv6 in this compressed, lower-case form.
    return clean_ipv6_address(ip_address) if ":" in ip_address else ip_address


def _canonical(value: Any) -> Any:
    # PostgreSQL's jsonb keeps numbers as numeric: 1e20 comes back as an int, 2.0 as 2.0;
    # an integral float and the int hash alike so that the round trip cannot break a link.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _canonical(item) for key, item in value.items()}
    return value


def utc_iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def content_hash(content: EventContent) -> str:
    payload = {
        "occurred_at": utc_iso(content.occurred_at),
        "actor_id": content.actor_id,
        "actor_label": content.actor_label,
        "action": content.action,
        "target_type": content.target_type,
        "target_id": content.target_id,
        "details": _canonical(content.details),
        "ip_address": stored_ip(content.ip_address),
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def link_hash(sequence: int, content: str, prev_hash: str) -> str:
    """The same formula the INSERT statement evaluates in SQL."""
    return hashlib.sha256(f"{sequence}:{content}:{prev_hash}".encode("ascii")).hexdigest()


# --- the walk's path -----------------------------------------------------------------------

# json.dumps(…, sort_keys=True, separators=(",", ":"), ensure_ascii=True) for the walk,
# made once: json.dumps with arguments builds an encoder per call, json.loads with one a
# decoder, which cost more than the encoding itself. No check for cycles: the value was
# parsed from JSON text, it has none.
_make_encoder = getattr(json.encoder, "c_make_encoder", None)
_encoder = (
    None
    if _make_encoder is None
    else _make_encoder(None, None, encode_basestring_ascii, None, ":", ",", True, False, True)
)


def _encode(value: Any) -> str:
    if _encoder is None:  # a Python without the C accelerator
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "".join(_encoder(value, 0))


def _number(text: str) -> float | int:
    value = float(text)
    return int(value) if value.is_integer() else value


# Integral floats become ints as they are read: `_canonical` without a second pass.
_decode = json.JSONDecoder(parse_float=_number).decode
# The same details recur (most events carry `{}` or the same few fields): each distinct text
# is made canonical once. Bounded, so that a log of distinct details does not grow it.
DETAILS_CACHE_SIZE = 4096


@functools.lru_cache(maxsize=DETAILS_CACHE_SIZE)
def _canonical_text(stored: str) -> str:
    return _encode(_decode(stored))


def canonical_details(stored: Any) -> str:
    """`details` as the database returns it (JSON text, or a value already parsed), in the
    canonical JSON that `content_hash` hashes."""
    if isinstance(stored, str):
        return _canonical_text(stored)
    return _encode(_canonical(stored))


def stored_content_hash(
    occurred_at: str,
    actor_id: int | None,
    actor_label: str,
    action: str,
    target_type: str,
    target_id: str,
    details: Any,
    ip_address: str | None,
) -> str:
    """`content_hash` of a stored row; `occurred_at` is already `utc_iso`'s text."""
    ip = stored_ip(ip_address)
    # The keys in sorted order, as json.dumps(sort_keys=True) writes them.
    canonical = (
        f'{{"action":{encode_basestring_ascii(action)},'
        f'"actor_id":{"null" if actor_id is None else int(actor_id)},'
        f'"actor_label":{encode_basestring_ascii(actor_label)},'
        f'"details":{canonical_details(details)},'
        f'"ip_address":{"null" if ip is None else encode_basestring_ascii(ip)},'
        f'"occurred_at":"{occurred_at}",'
        f'"target_id":{encode_basestring_ascii(target_id)},'
        f'"target_type":{encode_basestring_ascii(target_type)}}}'
    )
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()
