"""The one function that records an audit event.

Services call `record_event` inside their own transaction, so the event exists exactly when
the change does. `record_event` and `record_events_bulk` are the only writers of `AuditEvent`:
each insert links the events into the hash chain of `core.chain` in the same statement. The
request's IP comes from a context variable set by `AuditContextMiddleware`, so services need
not carry the request around.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection, models
from django.utils import timezone

from core.chain import EventContent, insert_chained, stored_details, stored_ip
from core.http import client_ip
from core.models import AuditEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import User

current_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("current_ip", default=None)

Actor = AbstractBaseUser | AnonymousUser | str | None


# A data subject acting for themselves on their self-service pages (signed in by a link, not
# a staff login) is recorded by this label and their id: the audit log then says which
# person acted, as it names a user, without holding anything about them.
SUBJECT_ACTOR_PREFIX = "data subject #"


def subject_actor(subject_id: int) -> str:
    """The actor of what a person does on their own self-service pages."""
    return f"{SUBJECT_ACTOR_PREFIX}{subject_id}"


def acting_subject_id(actor: Actor) -> int | None:
    """The person behind a `subject_actor` label, or None for any other actor."""
    if isinstance(actor, str) and actor.startswith(SUBJECT_ACTOR_PREFIX):
        rest = actor[len(SUBJECT_ACTOR_PREFIX) :]
        return int(rest) if rest.isdigit() else None
    return None


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


def _actor_fields(actor: Actor) -> tuple[AbstractBaseUser | None, str]:
    user = actor if isinstance(actor, AbstractBaseUser) else None
    if isinstance(actor, str):
        return None, actor
    return user, ("" if user is not None else "anonymous")


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
    user, label = _actor_fields(actor)
    if target is not None:
        target_type = target_type_of(target)
        target_id = target.pk
    content = EventContent(
        occurred_at=timezone.now(),
        actor_id=None if user is None else user.pk,
        actor_label=label,
        action=action,
        target_type=target_type,
        target_id="" if target_id is None else str(target_id),
        details=stored_details(dict(details or {})),
        ip_address=stored_ip(ip_address or current_ip.get()),
    )
    (link,) = insert_chained([content])
    event = AuditEvent(
        id=link.id,
        sequence=link.sequence,
        prev_hash=link.prev_hash,
        hash=link.hash,
        **vars(content),
    )
    event._state.adding = False
    event._state.db = connection.alias
    if user is not None:
        event.actor = user  # type: ignore[assignment]  # saves a query for actor_display
    return event


def record_events_bulk(
    *,
    action: str,
    actor: Actor,
    target_type: str,
    target_ids: list[Any],
    details: Mapping[str, Any],
) -> int:
    """One event per target, chained in one statement (views of many rows, bulk operations)."""
    user, label = _actor_fields(actor)
    now = timezone.now()
    ip = stored_ip(current_ip.get())
    stored = stored_details(dict(details))
    insert_chained(
        [
            EventContent(
                occurred_at=now,
                actor_id=None if user is None else user.pk,
                actor_label=label,
                action=action,
                target_type=target_type,
                target_id=str(pk),
                details=stored,
                ip_address=ip,
            )
            for pk in target_ids
        ]
    )
    return len(target_ids)


def record_grouped_read(
    *,
    action: str,
    actor: Actor,
    target_type: str,
    target_ids: list[Any],
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """A look at many records at once (a list page of 50 people) as one event with their ids
    inside (`details["ids"]`), not one row each: the audit browser shows one line, and "who
    looked at this person" still finds it (`core.audit_browser.grouped_read_of`)."""
    return record_event(
        action=action,
        actor=actor,
        target_type=target_type,
        details={
            **(details or {}),
            "count": len(target_ids),
            "ids": [int(pk) for pk in target_ids],
        },
    )


class AuditContextMiddleware:
    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        token = current_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)
