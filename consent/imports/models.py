"""An uploaded CSV file and what became of it. The file holds personal data: it is stored
encrypted and deleted once applied (or when the import is discarded); the per-row plan and
result name rows, actions, ids and reasons — never a value from the file."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedBinaryField, EncryptedJSONField, EncryptedStringField


class ImportKind(models.TextChoices):
    PROSPECTS = "prospects", _("People (prospects, from a list or the platform)")
    WITHDRAWALS = "withdrawals", _("Withdrawals of consent (from a marketing tool)")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded: map the columns")
    CHECKING = "checking", _("Dry run in progress")
    CHECKED = "checked", _("Dry run done: confirm to apply")
    APPLYING = "applying", _("Applying")
    APPLIED = "applied", _("Applied")
    FAILED = "failed", _("Failed")


class CsvImport(models.Model):
    kind = models.CharField(_("kind"), max_length=20, choices=ImportKind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    # The file's name can name a person ("unsubscribes-mari-tamm.csv").
    file_name = EncryptedStringField(_("file name"), max_length=200)
    content = EncryptedBinaryField(_("file"), null=True, blank=True)
    headers = models.JSONField(_("columns"), default=list)
    mapping = models.JSONField(_("mapping"), default=dict)
    # Values for fields no column gives (a prospect list has no "kind" column).
    defaults = models.JSONField(_("defaults"), default=dict)
    purpose = models.ForeignKey(
        "processing.Purpose",
        verbose_name=_("purpose"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    counts = models.JSONField(_("counts"), default=dict)
    # One entry per data row: [line, action, subject id, {field: [messages]}].
    plan = EncryptedJSONField(_("dry run"), null=True, blank=True)
    result = EncryptedJSONField(_("result"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    checked_at = models.DateTimeField(_("dry run at"), null=True, blank=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("CSV import")
        verbose_name_plural = _("CSV imports")

    def __str__(self) -> str:
        return f"import {self.pk} ({self.get_kind_display()}, {self.get_status_display()})"

    @property
    def progress_percent(self) -> int:
        if not self.total_rows:
            return 0
        return min(100, round(100 * self.processed_rows / self.total_rows))

    @property
    def is_running(self) -> bool:
        return self.status in (ImportStatus.CHECKING, ImportStatus.APPLYING)
