"""Signed webhook calls to outside systems, and signed single-use links for their answers.

Generic: nothing here knows what a system, a request or a task is; the apps that reach outside
systems bring the URL, the payload, the secret, the message's id and the row a callback
completes.

**Calls out: Standard Webhooks.** Every call is signed as the Standard Webhooks specification
says, with its reference library (`standardwebhooks`), so a receiving system verifies it with
`Webhook(secret).verify(body, headers)` of a maintained library in its own language rather
than code of its own: `webhook-id` (the message, the same on every retry of it, so the
receiver can drop a duplicate), `webhook-timestamp` (Unix seconds) and `webhook-signature:
v1,<base64 HMAC-SHA256 of "id.timestamp.body">`. The id and the timestamp are inside the MAC,
so a captured call cannot be replayed once it falls outside the receiver's five minutes.
Secrets are issued as the specification spells them, `whsec_` and the base64 of 32 random
bytes. One issued before (URL-safe base64 of 32 random bytes, no prefix) signs with the same
32 bytes: `signing_key` decodes either form, so no stored secret had to change.

**Callbacks in: Standard Webhooks too.** A system signs its completion call the same way, with
its own library's `Webhook(secret).sign(…)` (or any implementation of the specification).
`verify` accepts any of several secrets, because during a rotation the previous secret must
keep verifying until the other side has the new one, and checks the timestamp against the
portal's clock.

**Callback links.** `callback_token` signs an object id and a nonce with Django's signing
(`SECRET_KEY`, a salt per purpose, so a token for one purpose opens nothing else) and
`read_callback_token` checks it and its age. A signature cannot make a link single-use: the
caller stores the nonce on its row and completes with a conditional UPDATE,
`Model.objects.filter(pk=object_id, nonce=nonce).update(nonce=None, …)`; one row updated means
this call completed it, none means it was used already (or the row was given a new nonce).
Empty nonces are refused at both ends, so a cleared nonce can never match a token.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
import json
import secrets as secrets_module
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import standardwebhooks
from django.conf import settings
from django.core import signing
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from core import outbound

# The headers of the specification, as HTTP frameworks may capitalise them.
ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER = (
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
)
# How Standard Webhooks spells a secret: this prefix, then base64.
STANDARD_KEY_PREFIX = "whsec_"
USER_AGENT = "PrivacyOps-Webhook/1"
# Five minutes either way: enough for clock drift and a slow queue, short enough that a
# replayed call is refused.
DEFAULT_TOLERANCE = dt.timedelta(seconds=300)
# A system that does not accept a connection within this is down; the read timeout is the
# caller's (WEBHOOK_TIMEOUT_SECONDS), since a synchronous system works before it answers.
CONNECT_TIMEOUT_SECONDS = 5.0


def generate_secret() -> str:
    """A new signing secret: 256 random bits, as Standard Webhooks spells a secret."""
    return STANDARD_KEY_PREFIX + base64.b64encode(secrets_module.token_bytes(32)).decode()


def signing_key(secret: str) -> bytes:
    """The key bytes of a stored secret, either form (see the module's docstring)."""
    if not secret:
        # An empty key is a key everyone has.
        raise ValueError("A webhook is signed with a secret; this one is empty.")
    try:
        if secret.startswith(STANDARD_KEY_PREFIX):
            return base64.b64decode(secret.removeprefix(STANDARD_KEY_PREFIX), validate=True)
        padded = secret + "=" * (-len(secret) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("The webhook secret is not base64 text.") from None


def new_nonce() -> str:
    """A nonce for `callback_token`: 128 random bits."""
    return secrets_module.token_urlsafe(16)


def encode_payload(payload: Mapping[str, Any]) -> bytes:
    """The exact bytes sent and signed: compact JSON with sorted keys."""
    return json.dumps(
        payload, cls=DjangoJSONEncoder, separators=(",", ":"), sort_keys=True
    ).encode()


def signature_headers(
    *, secret: str, message_id: str, sent_at: dt.datetime, body: bytes
) -> dict[str, str]:
    """The Standard Webhooks headers of one call."""
    if not message_id:
        raise ValueError("A webhook call needs a message id.")
    signature = standardwebhooks.Webhook(signing_key(secret)).sign(message_id, sent_at, body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signature,
    }


def verify(
    *,
    secrets: Sequence[str],
    headers: Mapping[str, str],
    body: bytes,
    now: dt.datetime,
    tolerance: dt.timedelta = DEFAULT_TOLERANCE,
) -> bool:
    """Whether the Standard Webhooks headers of a call sign `body` under one of `secrets`, and
    its timestamp is within `tolerance` of `now` either way (a timestamp from the future is as
    suspect as a stale one). The signature header may carry several, space-separated."""
    given = {name.lower(): value for name, value in headers.items()}
    message_id = given.get(ID_HEADER, "")
    timestamp = given.get(TIMESTAMP_HEADER, "")
    offered = given.get(SIGNATURE_HEADER, "").split()
    if not (message_id and offered and timestamp.isascii() and timestamp.isdigit()):
        return False
    if len(timestamp) > 12:
        return False
    sent_at = dt.datetime.fromtimestamp(int(timestamp), tz=dt.UTC)
    if abs((now - sent_at).total_seconds()) > tolerance.total_seconds():
        return False
    valid = False
    for secret in secrets:
        try:
            key = signing_key(secret)
        except ValueError:
            continue  # not a secret this portal issued: it verifies nothing
        expected = standardwebhooks.Webhook(key).sign(message_id, sent_at, body).encode()
        for candidate in offered:
            # Bytes, since compare_digest refuses non-ASCII text; no early exit, so the time
            # taken does not tell which secret or which candidate matched.
            valid |= hmac.compare_digest(expected, candidate.encode())
    return valid


@dataclass(frozen=True)
class WebhookResult:
    status_code: int | None  # None when no answer came (refused, timed out, TLS failed)
    ok: bool
    error: str = ""


def post_json(
    *,
    url: str,
    payload: Mapping[str, Any],
    secret: str,
    message_id: str,
    timeout: float | None = None,
    now: dt.datetime | None = None,
) -> WebhookResult:
    """POST the payload as signed JSON; `ok` only for a 2xx answer. `message_id` names the
    message, not the attempt: a retry sends the same one.

    Redirects are not followed (a 3xx is not ok: the signed body must reach the URL the Admin
    entered, not one an answer names), TLS certificates are verified, and the answer's body is
    never read (nothing a system sends back is kept, and a huge answer costs nothing). The host
    is resolved and checked first, and the call goes to the address checked
    (`core.outbound`). Errors are reported, not raised, so the caller decides about retrying.
    """
    try:
        target = outbound.pinned_target(url)
    except outbound.RefusedAddress as exc:
        return WebhookResult(status_code=None, ok=False, error=f"refused: {exc}")
    body = encode_payload(payload)
    headers = {
        "Host": target.host_header,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **signature_headers(
            secret=secret, message_id=message_id, sent_at=now or timezone.now(), body=body
        ),
    }
    # httpx (with rich, which it imports) is ~20 MB: imported by the first call, not by every
    # process that merely imports the portal's modules.
    import httpx

    seconds = float(settings.WEBHOOK_TIMEOUT_SECONDS if timeout is None else timeout)
    limits = httpx.Timeout(seconds, connect=min(seconds, CONNECT_TIMEOUT_SECONDS))
    try:
        with (
            httpx.Client(timeout=limits, follow_redirects=False, verify=True) as client,
            client.stream(
                "POST",
                target.url,
                content=body,
                headers=headers,
                extensions={"sni_hostname": target.server_name} if target.server_name else {},
            ) as response,
        ):
            status = response.status_code
    except httpx.TimeoutException as exc:
        return WebhookResult(status_code=None, ok=False, error=f"timed out ({type(exc).__name__})")
    except httpx.HTTPError as exc:
        return WebhookResult(status_code=None, ok=False, error=f"{type(exc).__name__}: {exc}")
    ok = 200 <= status < 300
    return WebhookResult(status_code=status, ok=ok, error="" if ok else f"HTTP {status}")


def _salt(purpose: str) -> str:
    if not purpose:
        raise ValueError("A callback token needs a purpose.")
    return f"privacyops.callback.{purpose}"


def callback_token(*, purpose: str, object_id: int, nonce: str) -> str:
    """A signed, URL-safe token naming `object_id` and `nonce`, for `purpose` only."""
    if not nonce:
        raise ValueError("A callback token needs a nonce.")
    return signing.dumps([object_id, nonce], salt=_salt(purpose))


def read_callback_token(token: str, *, purpose: str, max_age: dt.timedelta) -> tuple[int, str]:
    """(object_id, nonce) of a token made by `callback_token` for the same purpose no longer
    than `max_age` ago. Raises `django.core.signing.BadSignature` for a forged, altered or
    malformed token and its subclass `SignatureExpired` for an old one."""
    value = signing.loads(token, salt=_salt(purpose), max_age=max_age)
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], int)
        or isinstance(value[0], bool)
        or not isinstance(value[1], str)
        or not value[1]
    ):
        raise signing.BadSignature("The callback token does not name an object and a nonce.")
    return value[0], value[1]
