"""Creating, changing and retiring the systems where personal data lives outside the portal,
and their webhook signing secrets. Each write validates, saves and audits in one transaction;
no audit event carries a secret or the webhook address (which may hold a token of its own)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import Actor, record_event
from core.webhooks import generate_secret
from processing.models import Connector, DataCategory, Processor, Recipient, System

if TYPE_CHECKING:
    from django.contrib.auth.models import User


# What an Admin states about a system, in the order its form shows them.
STATED_FIELDS = (
    "name",
    "kind",
    "processor",
    "recipient",
    "owner",
    "subject_kinds",
    "connector",
    "webhook_url",
    "synchronous",
    "contact_email",
)


@dataclass(frozen=True)
class SystemValues:
    """Everything an Admin states about a system (the secrets are issued, never typed)."""

    name: str
    kind: str
    owner: User | None
    subject_kinds: Sequence[str]
    categories: Sequence[DataCategory]
    connector: str = Connector.MANUAL
    processor: Processor | None = None
    recipient: Recipient | None = None
    webhook_url: str = ""
    synchronous: bool = False
    contact_email: str = ""


def _stated(system: System) -> dict[str, object]:
    # Foreign keys by id, so comparing costs no query.
    attnames = {f.name: f.attname for f in System._meta.concrete_fields}
    return {name: getattr(system, attnames[name]) for name in STATED_FIELDS}


def _apply(system: System, values: SystemValues) -> None:
    for name in STATED_FIELDS:
        value = getattr(values, name)
        setattr(system, name, list(value) if name == "subject_kinds" else value)


def _validate(system: System, values: SystemValues) -> None:
    problems: dict[str, list[str]] = {}
    try:
        system.full_clean()
    except ValidationError as exc:
        problems.update(exc.message_dict)
    if not values.categories:
        # GDPR Art. 30(1)(c): a system is in the register for the data it holds.
        problems["categories"] = [_("Choose the data categories this system holds.")]
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def create_system(*, values: SystemValues, actor: Actor) -> System:
    if values.owner is None:
        # Only seeded rows wait for an owner; the Admin names one from the start.
        raise ValidationError({"owner": _("Choose the owner of the system.")})
    system = System()
    _apply(system, values)
    _validate(system, values)
    system.save()
    system.categories.set(values.categories)
    record_event(
        action="system.created",
        actor=actor,
        target=system,
        details={
            "kind": system.kind,
            "connector": system.connector,
            "owner_id": system.owner_id,
            "categories": sorted(c.code for c in values.categories),
            "subject_kinds": sorted(system.subject_kinds),
        },
    )
    return system


@transaction.atomic
def update_system(*, system: System, values: SystemValues, actor: Actor) -> System:
    """Change what the Admin states. Turning a webhook system into a manual one discards its
    signing secrets: nothing is signed for it any more, and a kept secret is only a risk."""
    system = System.objects.select_for_update().get(pk=system.pk)
    if values.owner is None:
        raise ValidationError({"owner": _("Choose the owner of the system.")})
    before = _stated(system)
    categories_before = sorted(system.categories.values_list("code", flat=True))
    _apply(system, values)
    _validate(system, values)
    after = _stated(system)
    changed = [name for name in STATED_FIELDS if after[name] != before[name]]
    categories_after = sorted(c.code for c in values.categories)
    if categories_after != categories_before:
        changed.append("categories")
    secrets_discarded = not system.is_webhook and bool(system.verifying_secrets)
    if secrets_discarded:
        system.webhook_secret = ""
        system.previous_webhook_secret = ""
        system.secret_rotated_at = None
    if not changed and not secrets_discarded:
        return system
    system.save()
    system.categories.set(values.categories)
    details: dict[str, object] = {"fields": sorted(changed)}
    if "connector" in changed:
        details["connector"] = system.connector
    if "owner" in changed:
        details["owner_id"] = system.owner_id
    if "categories" in changed:
        details["categories"] = categories_after
    if secrets_discarded:
        details["secrets_discarded"] = True
    record_event(action="system.updated", actor=actor, target=system, details=details)
    return system


@transaction.atomic
def rotate_secret(*, system: System, actor: Actor) -> str:
    """Issue a new signing secret and return it, to be shown once: it is stored encrypted and
    no page shows it again. The secret it replaces keeps verifying callbacks until the next
    rotation, so the system can switch over without a failed call."""
    system = System.objects.select_for_update().get(pk=system.pk)
    if not system.is_webhook:
        raise ValidationError(_("A manual system signs nothing: it has no secret."))
    first = not system.webhook_secret
    secret = generate_secret()
    if not first:
        system.previous_webhook_secret = system.webhook_secret
    system.webhook_secret = secret
    system.secret_rotated_at = timezone.now()
    system.save(
        update_fields=[
            "webhook_secret",
            "previous_webhook_secret",
            "secret_rotated_at",
            "updated_at",
        ]
    )
    record_event(
        action="system.secret_rotated",
        actor=actor,
        target=system,
        details={"first": first, "previous_still_verifies": not first},
    )
    return secret


@transaction.atomic
def deactivate_system(*, system: System, actor: Actor) -> System:
    """Take the system out of the requests' reach; its row and history stay. A second click
    changes nothing and records nothing."""
    system = System.objects.select_for_update().get(pk=system.pk)
    if not system.active:
        return system
    system.active = False
    system.save(update_fields=["active", "updated_at"])
    record_event(action="system.deactivated", actor=actor, target=system)
    return system


@transaction.atomic
def reactivate_system(*, system: System, actor: Actor) -> System:
    system = System.objects.select_for_update().get(pk=system.pk)
    if system.active:
        return system
    if system.owner_id is None:
        raise ValidationError({"owner": _("Name the system's owner before activating it.")})
    system.full_clean()
    system.active = True
    system.save(update_fields=["active", "updated_at"])
    record_event(action="system.reactivated", actor=actor, target=system)
    return system
