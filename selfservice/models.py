"""Self-service for data subjects: the sign-in links and the copies they download.

Neither table holds personal data. A sign-in link is a row a signed token names with its
nonce (as the subscription and answer links are): the click claims the nonce with a
conditional UPDATE, so a link works once. A copy's documents live encrypted in the cache for
as long as the person's session, never in the database: the row only says how far the build
is and the checksums of what was made.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from subject_requests.choices import AnswerStatus


class SignInLink(models.Model):
    subject = models.ForeignKey("subjects.DataSubject", on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64, blank=True, editable=False)
    language = models.CharField(max_length=8, default="en")
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The tables kept the names they had inside subject_requests.
        db_table = "subject_requests_signinlink"
        verbose_name = _("self-service sign-in link")
        verbose_name_plural = _("self-service sign-in links")

    def __str__(self) -> str:
        return f"sign-in link #{self.pk}"


class SelfServiceCopy(models.Model):
    """A person's own copy: the access report and the portability package, built in the
    background. The content is in the cache (`selfservice.copies`), encrypted."""

    subject = models.ForeignKey("subjects.DataSubject", on_delete=models.CASCADE, related_name="+")
    language = models.CharField(max_length=8, default="en")
    status = models.CharField(
        max_length=10, choices=AnswerStatus.choices, default=AnswerStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0)
    # Where the build is, in words without personal data.
    progress_note = models.CharField(max_length=100, blank=True)
    error = models.CharField(max_length=300, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    built_at = models.DateTimeField(null=True, blank=True)
    report_sha256 = models.CharField(max_length=64, blank=True)
    package_sha256 = models.CharField(max_length=64, blank=True)
    report_size = models.PositiveIntegerField(default=0)
    package_size = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "subject_requests_selfservicecopy"
        verbose_name = _("self-service copy")
        verbose_name_plural = _("self-service copies")

    def __str__(self) -> str:
        return f"self-service copy #{self.pk}"
