"""The documents a request is answered with: the access report (and copy), the portability
package, the information on processors and transfers, and the PDF letters.

Each is built in the background (`status`, `progress`), stored encrypted (it is a copy of
the person's data), reviewed by the DPO before it may be sent, and downloaded by the requester
through a signed link. `sha256` stays after the content is cleared, as proof of what was sent.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedBinaryField
from core.heartbeat import is_stale, stale_before
from subject_requests.choices import AnswerKind, AnswerStatus, Outcome
from subject_requests.models.requests import SubjectRequest

BEING_BUILT = (AnswerStatus.QUEUED, AnswerStatus.BUILDING)


class AnswerQuerySet(models.QuerySet["Answer"]):
    def documents(self) -> AnswerQuerySet:
        """The reports, packages and information sheets (not the letters)."""
        return self.exclude(kind=AnswerKind.LETTER)

    def deliverable(self) -> AnswerQuerySet:
        """Built, reviewed by the DPO and not yet cleared: what a download link may serve."""
        return self.filter(
            status=AnswerStatus.READY,
            reviewed_at__isnull=False,
            content_cleared_at__isnull=True,
        )

    def in_progress(self) -> AnswerQuerySet:
        return self.filter(status__in=BEING_BUILT)

    def stalled(self, *, now: dt.datetime) -> AnswerQuerySet:
        """Claimed by a worker that stopped beating (`core.heartbeat`): killed, or gone."""
        return self.filter(
            Q(heartbeat_at__lt=stale_before(now)) | Q(heartbeat_at__isnull=True),
            status=AnswerStatus.BUILDING,
        )

    def current(self) -> AnswerQuerySet:
        """Not replaced by a newer built document of the same kind for the same person: a
        rebuilt report replaces the one before it (`freshness.current` on rows already read).
        """
        newer = Answer.objects.filter(
            request=OuterRef("request"),
            subject=OuterRef("subject"),
            kind=OuterRef("kind"),
            status=AnswerStatus.READY,
            built_at__gt=OuterRef("built_at"),
        )
        return self.exclude(Exists(newer))


class Answer(models.Model):
    request = models.ForeignKey(SubjectRequest, on_delete=models.CASCADE, related_name="answers")
    # One person per document: a report never mixes two people's data.
    subject = models.ForeignKey(
        "subjects.DataSubject",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=AnswerKind.choices)
    language = models.CharField(_("language"), max_length=8, default="en")
    # Letters only: the outcome they tell.
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=AnswerStatus.choices, default=AnswerStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    # Where the build is, in words without personal data ("Laying out the pages").
    progress_note = models.CharField(max_length=100, blank=True)
    error = models.CharField(_("why it failed"), max_length=300, blank=True)
    # Counts the claims: the number of the one building it now, which its writes carry, so a
    # worker whose build was taken over writes nothing.
    attempts = models.PositiveSmallIntegerField(default=0)
    content = EncryptedBinaryField(_("document"), null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    file_name = models.CharField(max_length=120, blank=True)
    size = models.PositiveIntegerField(default=0)
    pages = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    # The building worker's last sign of life (`core.heartbeat`).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    built_at = models.DateTimeField(_("built at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    downloads = models.PositiveIntegerField(default=0)
    content_cleared_at = models.DateTimeField(_("content cleared at"), null=True, blank=True)

    objects = AnswerQuerySet.as_manager()

    class Meta:
        ordering = ["requested_at", "id"]
        verbose_name = _("answer document")
        verbose_name_plural = _("answer documents")
        indexes = [models.Index(fields=["request", "kind", "status"], name="dsr_answer_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def label(self) -> str:
        """What the document is, in words that tell two letters of one request apart
        ("Answer letter: Deadline extended", "Answer letter: Completed")."""
        if self.kind == AnswerKind.LETTER and self.outcome:
            return f"{self.get_kind_display()}: {self.get_outcome_display()}"
        return str(self.get_kind_display())

    @property
    def is_ready(self) -> bool:
        return self.status == AnswerStatus.READY

    @property
    def is_reviewed(self) -> bool:
        return self.reviewed_at is not None

    @property
    def is_being_built(self) -> bool:
        return self.status in BEING_BUILT

    def is_stalled(self, now: dt.datetime) -> bool:
        """`AnswerQuerySet.stalled` for one row."""
        return self.status == AnswerStatus.BUILDING and is_stale(self.heartbeat_at, now=now)

    @property
    def is_deliverable(self) -> bool:
        """`AnswerQuerySet.deliverable` for one row."""
        return self.is_ready and self.is_reviewed and self.content_cleared_at is None
