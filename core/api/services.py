"""Writes of API keys: created (the secret returned once), revoked; each audited."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.api.auth import KEY_PREFIX
from core.api.models import ApiKey, Scope, key_digest
from core.audit import Actor, acting_user, record_event

# A key without an expiry is a key nobody remembers to rotate.
LONGEST_VALIDITY = dt.timedelta(days=366 * 2)


@transaction.atomic
def create_api_key(
    *,
    name: str,
    scopes: Iterable[str],
    expires_at: dt.datetime,
    actor: Actor,
    now: dt.datetime | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its secret, which is shown once and stored only as a digest."""
    now = now or timezone.now()
    scopes = sorted(set(scopes))
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("Name the integration that will use the key.")]
    if not scopes:
        errors["scopes"] = [_("Choose at least one scope.")]
    elif unknown := set(scopes) - set(Scope.values):
        errors["scopes"] = [_("Unknown scope: %(s)s.") % {"s": ", ".join(sorted(unknown))}]
    if expires_at <= now:
        errors["expires_at"] = [_("The expiry must be in the future.")]
    elif expires_at > now + LONGEST_VALIDITY:
        errors["expires_at"] = [_("A key lives at most two years; choose an earlier expiry.")]
    if errors:
        raise ValidationError(errors)
    prefix = secrets.token_hex(4)
    secret = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        name=name.strip(),
        prefix=prefix,
        digest=key_digest(secret),
        scopes=scopes,
        expires_at=expires_at,
        created_at=now,
        created_by=acting_user(actor),
    )
    record_event(
        action="api_key.created",
        actor=actor,
        target=key,
        details={"prefix": prefix, "scopes": scopes, "expires_at": expires_at.isoformat()},
    )
    return key, secret


@transaction.atomic
def revoke_api_key(*, key: ApiKey, actor: Actor, now: dt.datetime | None = None) -> ApiKey:
    now = now or timezone.now()
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is not None:
        return key
    key.revoked_at = now
    key.save(update_fields=["revoked_at"])
    record_event(action="api_key.revoked", actor=actor, target=key, details={"prefix": key.prefix})
    return key
