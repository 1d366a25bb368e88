"""Stored answers of the API (`core.api.idempotency`) that showed a person who has since been
erased: blanked, so a retry gets 410 and neither the erased data nor a second creation.
Without Django REST framework: the purge calls it for every batch (`subjects.api.erased`)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from core.api.envelope import error_body
from core.api.models import IdempotentReply

ERASED = error_body(
    410,
    "The first answer to this request showed a person who has since been erased; it is not "
    "repeated, and the request is not run again.",
)


def forget(*, target_type: str, ids: Iterable[object]) -> int:
    """Blank the stored answers that show any of these rows (erased). Returns how many were
    blanked."""
    wanted = [str(pk) for pk in ids]
    if not wanted or not IdempotentReply.objects.filter(shows_type=target_type).exists():
        return 0
    return IdempotentReply.objects.filter(shows_type=target_type, shows_id__in=wanted).update(
        status_code=410, body=json.dumps(ERASED), shows_type="", shows_id=""
    )
