"""API keys for integrations and the stored replies that make a POST idempotent.

A key is 32 random bytes shown once; only its SHA-256 is stored. A slow password hash would
add nothing: the secret has 256 bits of entropy, so there is nothing to guess, and every call
would pay for it. The prefix is public and names the key in lists and the audit log.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedTextField


class Scope(models.TextChoices):
    SUBJECTS_READ = "subjects:read", _("Read people")
    SUBJECTS_WRITE = "subjects:write", _("Create and update people")
    EVENTS_WRITE = "events:write", _("Record lifecycle events")
    CONSENT_READ = "consent:read", _("Read consent and the marketing audience")
    CONSENT_WRITE = "consent:write", _("Record consent, withdrawals, objections, unsubscribes")
    REQUESTS_WRITE = "requests:write", _("File data-subject requests")
    REQUESTS_READ = "requests:read", _("Read a request's status and due day")
    REGISTER_READ = "register:read", _("Read purposes, processors, transfers, retention")


def key_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def usable(self, *, now: dt.datetime) -> ApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


class ApiKey(models.Model):
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, unique=True)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    expires_at = models.DateTimeField(_("expires at"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.prefix} ({self.name})"

    @property
    def actor_label(self) -> str:
        """How the audit log and the ledger name what the key did (`AuditEvent.actor_label`)."""
        return f"api-key {self.prefix} {self.name}"[:100]

    def is_usable(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


class IdempotentReply(models.Model):
    """The first answer to a POST sent with an `Idempotency-Key`, replayed for a retry."""

    # "key:<id>" or "user:<id>": two callers may pick the same idempotency key.
    principal = models.CharField(max_length=40)
    idempotency_key = models.CharField(max_length=200)
    method_path = models.CharField(max_length=300)
    body_digest = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=0)
    # The answer may name the person it created: encrypted, and kept only for
    # `IDEMPOTENCY_TTL` (older replies of the caller are deleted when a new one is stored), so
    # it is a cache of an answer rather than a record about a person.
    body = EncryptedTextField(null=True, blank=True, personal_data=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The row whose data the answer shows (a person created or updated), so that erasing it
    # blanks the answer (`core.api.replies.forget`): a retry must not bring an erased person back.
    shows_type = models.CharField(max_length=100, blank=True, default="")
    shows_id = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["principal", "idempotency_key"], name="one_reply_per_idempotency_key"
            )
        ]
        indexes = [models.Index(fields=["shows_type", "shows_id"], name="core_reply_shows")]

    def __str__(self) -> str:
        return f"{self.principal} {self.method_path} {self.status_code}"
