"""Data-subject requests (GDPR Art. 12-22): what arrived, from whom, by when it must be
answered, and everything that happened to it.

The requester's name, e-mail, words, the agent's proof, every reason written to them and
every note, message and document are stored encrypted; the e-mail has a blind index for exact
search and duplicate detection.
Status changes go through `subject_requests.services` only: the models hold no business rule
beyond values derived from their own row.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.crypto import blind_index
from core.fields import (
    BlindIndexField,
    EncryptedBinaryField,
    EncryptedEmailField,
    EncryptedStringField,
    EncryptedTextField,
    PersonalDataQuerySet,
)
from core.timeutil import end_of_legal_day, legal_date, legal_today
from subject_requests.choices import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    TRANSITIONS,
    Channel,
    DeliveryStatus,
    EntryKind,
    PauseReason,
    RequestType,
    Status,
    VerificationMethod,
)
from subject_requests.deadlines import RequestDeadline, paused_days, request_deadline
from subject_requests.models.transmission import TransmissionFields

# The choices live in `choices.py`; other apps, commands and tests may still import them from
# here.
# "Due soon", the one definition for the home page, the queue's filter and the reminders: the
# target day is at most a week away, so the reminder always spans a weekend's worth of notice.
DUE_SOON_DAYS = 7


def overdue_q(*, now: dt.datetime) -> Q:
    """Open and past the end of the legal due day. A paused request's clock is stopped, so it
    cannot run out meanwhile."""
    return Q(status__in=OPEN_STATUSES, paused_since__isnull=True, due_at__lt=now)


def due_soon_q(*, now: dt.datetime) -> Q:
    """Open, running and not yet overdue, with the target day at most `DUE_SOON_DAYS` legal
    days away (a target already passed included: the legal due day is still ahead)."""
    limit = end_of_legal_day(legal_today(now) + dt.timedelta(days=DUE_SOON_DAYS))
    return Q(
        status__in=OPEN_STATUSES, paused_since__isnull=True, due_at__gte=now, target_at__lte=limit
    )


class SubjectRequestQuerySet(PersonalDataQuerySet["SubjectRequest"]):
    def open(self) -> SubjectRequestQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def closed(self) -> SubjectRequestQuerySet:
        return self.filter(status__in=CLOSED_STATUSES)

    def paused(self) -> SubjectRequestQuerySet:
        return self.filter(paused_since__isnull=False)

    def overdue(self, *, now: dt.datetime) -> SubjectRequestQuerySet:
        return self.filter(overdue_q(now=now))

    def due_soon(self, *, now: dt.datetime) -> SubjectRequestQuerySet:
        return self.filter(due_soon_q(now=now))

    def awaiting_identity(self) -> SubjectRequestQuerySet:
        return self.filter(status=Status.AWAITING_IDENTITY)

    def unverified_since(self, *, cutoff: dt.datetime) -> SubjectRequestQuerySet:
        return self.awaiting_identity().filter(identity_requested_at__lt=cutoff)

    def with_email(self, email: str) -> SubjectRequestQuerySet:
        return self.filter(requester_email_index=blind_index(email))

    def search(self, text: str) -> SubjectRequestQuerySet:
        """A reference (whole or its number) or an exact e-mail (through the blind index)."""
        text = text.strip()
        if not text:
            return self
        if "@" in text:
            return self.with_email(text)
        if text.isdigit():
            return self.filter(reference__endswith=f"-{int(text):06d}")
        return self.filter(reference=text.upper())

    def closed_before(self, *, cutoff: dt.datetime) -> SubjectRequestQuerySet:
        return self.closed().filter(closed_at__lt=cutoff)


class SubjectRequest(TransmissionFields):
    """A request; its fields for sending the package to another company (GDPR Art. 20(2))
    are `TransmissionFields`."""

    reference = models.CharField(
        _("reference"), max_length=20, unique=True, null=True, blank=True, editable=False
    )
    type = models.CharField(_("right"), max_length=30, choices=RequestType.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    language = models.CharField(_("language"), max_length=8, default="en")

    requester_name = EncryptedTextField(_("requester's name"), max_length=200, null=True)
    requester_email = EncryptedEmailField(_("requester's e-mail"), null=True, blank=True)
    requester_email_index = BlindIndexField(source="requester_email")
    description = EncryptedTextField(_("request in the requester's words"), null=True, blank=True)
    via_agent = models.BooleanField(_("an authorised agent acts for the person"), default=False)
    agent_name = EncryptedTextField(_("agent's name"), max_length=200, null=True, blank=True)
    agent_proof = EncryptedBinaryField(_("agent's authorisation"), null=True, blank=True)
    agent_proof_name = EncryptedTextField(_("authorisation file name"), null=True, blank=True)
    agent_proof_content_type = models.CharField(max_length=100, blank=True)

    subjects = models.ManyToManyField(
        "subjects.DataSubject",
        verbose_name=_("matched subjects"),
        related_name="subject_requests",
        blank=True,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_subject_requests",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    received_at = models.DateTimeField(_("received at"))
    # Both written only through `deadlines.request_deadline`. `due_at` ends the legal due day
    # (GDPR Art. 12(3) counted under Regulation 1182/71, rolled to a working day): overdue is
    # past it. `target_at` ends the unrolled day (period end + paused days): the queue sorts
    # and colours by it, so that the team aims early.
    due_at = models.DateTimeField(_("due at"))
    target_at = models.DateTimeField(_("target"))
    extended_at = models.DateTimeField(_("extended at"), null=True, blank=True)
    extension_reason = EncryptedStringField(_("reason for the extension"))
    # Denormalised from `Pause` so the queue and the register need no join: the days of
    # closed pauses, and the start of the open one (the clock is stopped meanwhile).
    paused_days = models.PositiveIntegerField(_("paused days"), default=0)
    paused_since = models.DateTimeField(_("paused since"), null=True, blank=True)

    identity_requested_at = models.DateTimeField(_("identity asked at"), null=True, blank=True)
    verification_nonce = models.CharField(max_length=64, blank=True, editable=False)
    email_confirmed_at = models.DateTimeField(_("e-mail confirmed at"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verification_method = models.CharField(
        _("verified by"), max_length=20, choices=VerificationMethod.choices, blank=True
    )
    verification_note = EncryptedTextField(_("identity check"), null=True, blank=True)
    # Signs the requester's download link; a new link (another nonce) voids the previous one.
    delivery_nonce = models.CharField(max_length=64, blank=True, editable=False)

    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("possible duplicate of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closure_reason = EncryptedStringField(_("reason or outcome"))
    # A completed request may refuse part of what was asked (Art. 12(4)): what, and why.
    refused_part = EncryptedStringField(_("what was refused, and why"))
    # Completed while systems outside the portal had not all confirmed: the DPO's reason,
    # which the letter states.
    systems_override = EncryptedStringField(_("why completed with system tasks open"))
    # GDPR Art. 19: the requester asked to be told which recipients were notified.
    recipients_requested = models.BooleanField(
        _("the requester asked which recipients were notified"), default=False
    )
    anonymised_at = models.DateTimeField(_("identifiers removed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = SubjectRequestQuerySet.as_manager()

    class Meta:
        ordering = ["target_at", "id"]
        verbose_name = _("data-subject request")
        verbose_name_plural = _("data-subject requests")
        indexes = [
            # The queue: open requests by target day, whole, one assignee's or one status's.
            models.Index(
                fields=["target_at", "id"],
                condition=Q(status__in=OPEN_STATUSES),
                name="dsr_open_target",
            ),
            models.Index(
                fields=["assignee", "target_at", "id"],
                condition=Q(status__in=OPEN_STATUSES),
                name="dsr_open_assignee_target",
            ),
            models.Index(fields=["status", "target_at", "id"], name="dsr_status_target"),
            # Overdue and due-soon counts: a range on the legal due instant.
            models.Index(
                fields=["due_at", "id"], condition=Q(status__in=OPEN_STATUSES), name="dsr_open_due"
            ),
            models.Index(fields=["received_at", "id"], name="dsr_received"),
            # The dashboard's figures per right read type, receipt, status and closing from
            # the index alone, already grouped by type (300 ms at 100 000 requests). Key
            # columns rather than INCLUDE: SQLite has no covering indexes (and would neither
            # build nor drop one the same way).
            models.Index(
                fields=["type", "received_at", "status", "closed_at"], name="dsr_type_received"
            ),
            models.Index(fields=["closed_at"], name="dsr_closed"),
        ]

    def __str__(self) -> str:
        return self.reference or f"request #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("subject_requests:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_extended(self) -> bool:
        return self.extended_at is not None

    @property
    def is_paused(self) -> bool:
        return self.paused_since is not None

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    def can_become(self, status: str) -> bool:
        return status in TRANSITIONS[self.status]

    def deadline(self, now: dt.datetime | None = None) -> RequestDeadline:
        """The target and due days as of `now`: as stored, or while the clock is stopped,
        moved by the days paused so far (the due day rolled again from there)."""
        if self.paused_since is None:
            return RequestDeadline(
                target_on=legal_date(self.target_at), due_on=legal_date(self.due_at)
            )
        so_far = paused_days(self.paused_since, now or timezone.now())
        return request_deadline(
            self.received_at, extended=self.is_extended, pauses=[self.paused_days, so_far]
        )

    def due_on(self, now: dt.datetime | None = None) -> dt.date:
        """The legal due day."""
        return self.deadline(now).due_on

    def target_on(self, now: dt.datetime | None = None) -> dt.date:
        return self.deadline(now).target_on

    def is_overdue(self, now: dt.datetime) -> bool:
        return self.is_open and self.paused_since is None and now > self.due_at

    def days_to_target(self, now: dt.datetime) -> int:
        """Negative once the target day has passed (the legal due day may still be ahead)."""
        return (self.target_on(now) - legal_today(now)).days

    def days_overdue(self, now: dt.datetime) -> int:
        return max(0, (legal_today(now) - self.due_on(now)).days)

    def deadline_class(self, now: dt.datetime) -> str:
        """The colour of the days to the target: ≥ 10 green, < 10 amber, < 5 red; past the
        legal due day bold red."""
        if self.is_overdue(now):
            return "days-overdue"
        if self.is_paused:
            return "days-paused"
        days = self.days_to_target(now)
        if days >= 10:
            return "days-ok"
        if days >= 5:
            return "days-warn"
        return "days-bad"


class Pause(models.Model):
    """An interval during which the clock stood still; it moves the due date by its days."""

    request = models.ForeignKey(SubjectRequest, on_delete=models.CASCADE, related_name="pauses")
    reason = models.CharField(_("reason"), max_length=20, choices=PauseReason.choices)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    days = models.PositiveIntegerField(_("days"), null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["started_at", "id"]
        verbose_name = _("pause")
        constraints = [
            models.UniqueConstraint(
                fields=["request"], condition=Q(ended_at__isnull=True), name="dsr_one_open_pause"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} from {self.started_at:%Y-%m-%d}"


class TimelineEntry(models.Model):
    """One thing that happened to a request, with who did it and when. `summary` carries no
    personal data; `body` and `document` do, so they are encrypted."""

    request = models.ForeignKey(SubjectRequest, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(_("kind"), max_length=20, choices=EntryKind.choices)
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=100, blank=True)
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    # For letters and messages: which e-mail template the sending task renders.
    letter = models.CharField(max_length=30, blank=True)
    body = EncryptedTextField(_("text"), null=True, blank=True)
    document = EncryptedBinaryField(_("document"), null=True, blank=True)
    document_name = EncryptedTextField(_("file name"), null=True, blank=True)
    document_content_type = models.CharField(max_length=100, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    # What the mail server said of a letter: accepted ("sent") or refused ("failed").
    delivery_status = models.CharField(
        _("delivery"), max_length=10, choices=DeliveryStatus.choices, blank=True
    )
    # The PDF letter e-mailed with this entry, kept as an answer document.
    answer = models.ForeignKey(
        "subject_requests.Answer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        indexes = [models.Index(fields=["request", "occurred_at", "id"], name="dsr_timeline")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.get_kind_display()}"

    @property
    def actor_display(self) -> str:
        if self.actor_id is not None and self.actor is not None:
            return self.actor.get_username()
        return self.actor_label or "system"


class ReminderSent(models.Model):
    """At most one reminder per assignee per legal day: the row is the claim."""

    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    sent_on = models.DateField()
    # "requests" (overdue and due-soon requests of an assignee) or "system_tasks" (the open
    # tasks of a system owner).
    kind = models.CharField(max_length=20, default="requests")
    due_soon = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assignee", "sent_on", "kind"], name="dsr_one_reminder_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"reminder to {self.assignee_id} on {self.sent_on}"
