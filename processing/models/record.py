"""The record of processing activities as printed (GDPR Art. 30): the organisational and
technical measures the Admin keeps, each change a new version, and every generated PDF kept
with its date and text, so the DPO can show what the record said on any day and what changed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.appendonly import AppendOnlyModel


class SecurityMeasures(AppendOnlyModel):
    """Art. 30(1)(g) and Art. 32: a general description of the technical and organisational
    security measures. Append-only: a change is a new version."""

    text = models.TextField(_("technical and organisational measures"))
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("security measures")
        verbose_name_plural = _("security measures")

    def __str__(self) -> str:
        return f"measures v{self.pk} of {self.created_at:%Y-%m-%d}"


class RecordVersion(AppendOnlyModel):
    """One printed record: its text (what the diff compares) and its PDF."""

    number = models.PositiveIntegerField(_("version"), unique=True)
    created_at = models.DateTimeField(_("generated at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(_("text"))
    pdf = models.BinaryField(_("PDF"))
    sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("record version")

    def __str__(self) -> str:
        return f"record v{self.number} of {self.created_at:%Y-%m-%d}"
