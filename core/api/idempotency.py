"""`Idempotency-Key` on POST: a retry with the same key and body gets the first answer and
changes nothing; the same key with another body is 409.

The reply row is inserted before the work starts, inside the request's transaction, so a
second request with the same key racing the first waits on the unique index until the first
commits, then replays its answer; if the first fails with a 5xx the whole transaction,
placeholder included, rolls back and the retry does the work.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.auth import principal_of
from core.api.errors import Conflict
from core.api.models import IdempotentReply

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
# How long a reply is kept for replays: longer than any sane retry loop of a client.
IDEMPOTENCY_TTL = dt.timedelta(hours=24)
# Answers not worth replaying: the caller fixes its credentials or waits, then retries.
NOT_STORED = frozenset({401, 403, 409, 429})
SHOWS = "idempotent_shows"


def _digest(request: Request) -> str:
    return hashlib.sha256(request.body).hexdigest()


def begin(request: Request) -> IdempotentReply | Response | None:
    """Claim the key (a placeholder row), or the stored answer to replay, or None without a key."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        return None
    if len(key) > MAX_KEY_LENGTH:
        raise exceptions.ValidationError({HEADER: [f"At most {MAX_KEY_LENGTH} characters."]})
    principal = principal_of(request)
    method_path = f"{request.method} {request.path}"[:300]
    digest = _digest(request)
    now = timezone.now()
    try:
        with transaction.atomic():
            return IdempotentReply.objects.create(
                principal=principal,
                idempotency_key=key,
                method_path=method_path,
                body_digest=digest,
                created_at=now,
            )
    except IntegrityError:
        pass
    stored = IdempotentReply.objects.get(principal=principal, idempotency_key=key)
    if stored.method_path != method_path or stored.body_digest != digest:
        raise Conflict()
    if stored.created_at < now - IDEMPOTENCY_TTL:
        stored.delete()
        return begin(request)
    reply = Response(json.loads(stored.body or "null"), status=stored.status_code)
    reply["Idempotent-Replayed"] = "true"
    return reply


def shows(response: Response, *, target_type: str, target_id: object) -> Response:
    """Mark the answer as showing this row's data: stored for a replay, it is blanked when
    the row is erased (`core.api.replies.forget`)."""
    setattr(response, SHOWS, (target_type, str(target_id)))
    return response


def finish(claim: IdempotentReply, response: Response) -> None:
    if response.status_code >= 500 or response.status_code in NOT_STORED:
        claim.delete()
        return
    claim.status_code = response.status_code
    claim.body = json.dumps(response.data, default=str)
    claim.shows_type, claim.shows_id = getattr(response, SHOWS, ("", ""))
    claim.save(update_fields=["status_code", "body", "shows_type", "shows_id"])
    IdempotentReply.objects.filter(
        principal=claim.principal, created_at__lt=timezone.now() - IDEMPOTENCY_TTL
    ).delete()


def handle(request: Request, run: Any) -> Response:
    """Run the view's handler under the key's protection (inside one transaction)."""
    with transaction.atomic():
        claim = begin(request)
        if isinstance(claim, Response):
            return claim
        response: Response = run()
        if claim is not None:
            finish(claim, response)
        return response
