"""The one function that records an audit event.

Services call `record_event` inside their own transaction, so the event exists exactly when
the change does. The request's IP comes from a context variable set by `AuditContextMiddleware`
so services need not carry the request around.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models

from core.models import AuditEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import User

current_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("current_ip", default=None)

Actor = AbstractBaseUser | AnonymousUser | str | None


def user_of(actor: Actor) -> User | None:
    """The signed-in user behind an actor, for a foreign key to the user table; None for a
    label ("nightly-purge", "data subject"), an anonymous visitor or no one."""
    return actor if isinstance(actor, get_user_model()) else None


def acting_user(actor: Actor) -> User:
    """The user behind a decision only a signed-in person takes (a DPO confirming a rule).
    Refused as Django refuses a non-user in a foreign key to the user."""
    user = user_of(actor)
    if user is None:
        raise ValueError(f"{actor!r} is not a signed-in user.")
    return user


def target_type_of(target: models.Model | type[models.Model]) -> str:
    return target._meta.label_lower


def record_event(
    *,
    action: str,
    actor: Actor,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: Any = "",
    details: Mapping[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    user = user_of(actor)
    if isinstance(actor, str):
        label = actor
    elif user is None:
        label = "anonymous"
    else:
        label = ""
    if target is not None:
        target_type = target_type_of(target)
        target_id = target.pk
    return AuditEvent.objects.create(
        actor=user,
        actor_label=label,
        action=action,
        target_type=target_type,
        target_id="" if target_id is None else str(target_id),
        details=dict(details or {}),
        ip_address=ip_address or current_ip.get(),
    )


def record_events_bulk(
    *,
    action: str,
    actor: Actor,
    target_type: str,
    target_ids: list[Any],
    details: Mapping[str, Any],
) -> int:
    """One event per target, inserted set-based (views of many rows, bulk operations)."""
    user = user_of(actor)
    label = actor if isinstance(actor, str) else ("" if user else "anonymous")
    ip = current_ip.get()
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=user,
                actor_label=label,
                action=action,
                target_type=target_type,
                target_id=str(pk),
                details=dict(details),
                ip_address=ip,
            )
            for pk in target_ids
        ],
        batch_size=1000,
    )
    return len(target_ids)


class AuditContextMiddleware:
    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        token = current_ip.set(request.META.get("REMOTE_ADDR") or None)
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)
