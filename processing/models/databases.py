"""A system of the register reached by SQL (issue 23): its connection and the versions of its
manifest (`processing.databases.manifest`)."""

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
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("platform database")

    def __str__(self) -> str:
        return f"{self.system} (database)"

    def manifest(self) -> DatabaseManifest | None:
        """The newest version of its manifest."""
        return self.manifests.order_by("-version").first()


class DatabaseManifest(models.Model):
    """One version of what the database holds; a new version is a new row, the old ones
    stay as the record of what each erasure followed."""

    database = models.ForeignKey(
        PlatformDatabase, on_delete=models.CASCADE, related_name="manifests"
    )
    version = models.PositiveIntegerField(_("version"))
    text = models.TextField(_("manifest (YAML)"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("database manifest")
        constraints = [
            models.UniqueConstraint(fields=["database", "version"], name="one_manifest_version")
        ]

    def __str__(self) -> str:
        return f"{self.database.system} manifest v{self.version}"
