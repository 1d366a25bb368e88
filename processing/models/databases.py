"""A system of the register reached by SQL: its connection and the versions of its
manifest (`processing.databases.manifest`).

A version that erases less than the one in force (`processing.databases.compare`) waits for a
DPO, as a retention rule's change that purges more does: until it is confirmed the portal keeps
acting on the version in force, so the Admin alone cannot make an erasure leave more behind."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedTextField
from processing.models.systems import System


class PlatformDatabase(models.Model):
    """The connection to a system's own database. A credential, not a person's data:
    encrypted at rest like a webhook's secret, never shown once saved."""

    system = models.OneToOneField(System, on_delete=models.CASCADE, related_name="database")
    url = EncryptedTextField(_("connection URL"), personal_data=False)
    # Off only for the demo's database, reached as the portal's own user; a new URL is always
    # checked again.
    checks_role_rights = models.BooleanField(_("the role's rights are checked"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("platform database")

    def __str__(self) -> str:
        return f"{self.system} (database)"

    def manifest(self) -> DatabaseManifest | None:
        """The version in force: the newest that took effect. A version awaiting the DPO
        changes nothing until it is confirmed."""
        return self.manifests.accepted().order_by("-version").first()

    def pending_manifest(self) -> DatabaseManifest | None:
        return self.manifests.pending().first()


class ManifestState(models.TextChoices):
    PENDING = "pending", _("Awaiting the DPO")
    ACCEPTED = "accepted", _("Took effect")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Superseded before a decision")


class DatabaseManifestQuerySet(models.QuerySet["DatabaseManifest"]):
    def accepted(self) -> DatabaseManifestQuerySet:
        return self.filter(state=ManifestState.ACCEPTED)

    def pending(self) -> DatabaseManifestQuerySet:
        return self.filter(state=ManifestState.PENDING)


class DatabaseManifest(models.Model):
    """One version of what the database holds; a new version is a new row, the old ones
    stay as the record of what each erasure followed."""

    database = models.ForeignKey(
        PlatformDatabase, on_delete=models.CASCADE, related_name="manifests"
    )
    version = models.PositiveIntegerField(_("version"))
    text = models.TextField(_("manifest (YAML)"))
    state = models.CharField(
        _("state"),
        max_length=20,
        choices=ManifestState.choices,
        default=ManifestState.ACCEPTED,
        db_index=True,
    )
    # Why the DPO must confirm it: each way it erases less than the version in force.
    reasons = models.JSONField(_("erases less because"), default=list, blank=True)
    # A new connection proposed with a pending version takes effect with it; cleared once the
    # version is decided, so no copy of the secret outlives the decision.
    new_url = EncryptedTextField(
        _("new connection URL"), personal_data=False, blank=True, default=""
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = DatabaseManifestQuerySet.as_manager()

    class Meta:
        verbose_name = _("database manifest")
        constraints = [
            models.UniqueConstraint(fields=["database", "version"], name="one_manifest_version"),
            models.UniqueConstraint(
                fields=["database"],
                condition=models.Q(state="pending"),
                name="one_pending_manifest_per_database",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.database.system} manifest v{self.version}"
