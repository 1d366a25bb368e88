from __future__ import annotations

import hashlib
from typing import Any, ClassVar, NoReturn

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from core.appendonly import AppendOnlyError, AppendOnlyModel, AppendOnlyQuerySet
from core.audit_words import action_words
from core.permissions import ROLE_KEYS, role_key_name

WRITERS_ONLY = "audit events are written only by core.audit.record_event(s_bulk), which chain them"


class AuditEventQuerySet(AppendOnlyQuerySet["AuditEvent"]):
    def bulk_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(WRITERS_ONLY)


AuditEventManager = models.Manager.from_queryset(AuditEventQuerySet)


class AuditEvent(AppendOnlyModel):
    """Who did what to which record, when. Never the personal data itself.

    Each event is a link of a hash chain (`core.chain`): `sequence` counts from 1 without
    gaps, `prev_hash` is the previous event's `hash`. On PostgreSQL the table is partitioned
    by month of `occurred_at` (`core.partitions`): there `sequence` is unique with its
    `occurred_at`, and the chain's walk refuses a number used twice.
    """

    sequence = models.PositiveBigIntegerField(_("sequence"), unique=True, editable=False)
    prev_hash = models.CharField(_("previous hash"), max_length=64, editable=False)
    hash = models.CharField(_("hash"), max_length=64, editable=False)
    occurred_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # A named system job ("nightly-purge"), "data subject" or "anonymous" when no user acted.
    actor_label = models.CharField(_("actor label"), max_length=100, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    target_type = models.CharField(_("target type"), max_length=100, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects: ClassVar[AuditEventManager[AuditEvent]] = AuditEventManager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(
                fields=["target_type", "target_id", "-occurred_at"], name="core_audit_target_idx"
            )
        ]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        what = action_words(self.action)
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_display}: {what}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding:
            raise AppendOnlyError(WRITERS_ONLY)
        super().save(*args, **kwargs)

    @property
    def actor_display(self) -> str:
        if self.actor_id is not None and self.actor is not None:
            return self.actor.get_username()
        return self.actor_label or "system"


class AuditVerification(AppendOnlyModel):
    """The result of one walk of the audit chain (`manage.py verify_audit`, daily from beat).

    The head it reached is what the next walk must reach again: deleting the newest events
    leaves a chain that is valid, only shorter."""

    checked_at = models.DateTimeField(_("checked at"), default=timezone.now, db_index=True)
    intact = models.BooleanField(_("intact"))
    events_checked = models.PositiveBigIntegerField(_("events checked"))
    head_sequence = models.PositiveBigIntegerField(_("last intact event"))
    head_hash = models.CharField(_("its hash"), max_length=64)
    broken_at = models.PositiveBigIntegerField(_("first broken link"), null=True, blank=True)
    problem = models.CharField(_("problem"), max_length=300, blank=True)
    actor_label = models.CharField(_("run by"), max_length=100)

    class Meta:
        ordering = ["-checked_at", "-id"]
        verbose_name = _("audit log verification")
        verbose_name_plural = _("audit log verifications")

    def __str__(self) -> str:
        state = "intact" if self.intact else f"broken at #{self.broken_at}"
        return f"{self.checked_at:%Y-%m-%d %H:%M} {state}"


def recovery_code_digest(code: str) -> str:
    """SHA-256 of a recovery code, dashes, spaces and case ignored. A fast hash suffices:
    a code is 80 random bits, which no offline search gets through (a slow hash protects
    guessable secrets such as passwords; these are not)."""
    normalised = "".join(code.split()).replace("-", "").upper()
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


class RecoveryCodeDevice(Device):
    """A user's one-time recovery codes, as a django-otp device: a session verified with a
    code is verified like one verified with the authenticator app."""

    class Meta:
        verbose_name = _("recovery codes")
        verbose_name_plural = _("recovery codes")

    def __str__(self) -> str:
        return f"recovery codes of user {self.user_id}"

    def verify_token(self, token: str) -> bool:
        # A conditional UPDATE claims the code: two requests with the same code, one wins.
        used = self.codes.filter(code_digest=recovery_code_digest(token), used_at=None).update(
            used_at=timezone.now()
        )
        return bool(used == 1)

    def codes_left(self) -> int:
        return int(self.codes.filter(used_at=None).count())


class RecoveryCode(models.Model):
    """One code, stored hashed; shown to its owner once, when issued."""

    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_digest = models.CharField(_("code (SHA-256)"), max_length=64, unique=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")

    def __str__(self) -> str:
        return f"recovery code {self.pk} ({'used' if self.used_at else 'unused'})"


class RoleKey(models.Model):
    """No table: it declares the permissions that are the roles' keys (`core.role_dpo`, ...,
    `core.permissions.ROLE_KEYS`). A group holding one is that role, whatever its name."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [(key, role_key_name(role)) for role, key in ROLE_KEYS.items()]
        verbose_name = _("role")

    def __str__(self) -> str:
        return "role keys"


# The API's keys and idempotent replies live with the API frame (`core.api`), the
# authenticator app beside it (both need the encrypted fields, which need this module).
from core.api.models import ApiKey, IdempotentReply  # noqa: E402
from core.authenticators import Authenticator  # noqa: E402

__all__ = [
    "ApiKey",
    "AuditEvent",
    "AuditVerification",
    "Authenticator",
    "IdempotentReply",
    "RecoveryCode",
    "RecoveryCodeDevice",
    "RoleKey",
]
