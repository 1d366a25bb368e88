"""What is stored about people: trials and their content, demos,
invoices, claims, communications and usage, each personal field encrypted."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fields import (
    EncryptedEmailField,
    EncryptedJSONField,
    EncryptedStringField,
    EncryptedTextField,
)
from subjects.models.people import DataSubject, Organisation


class Trial(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="trials")
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    converted_on = models.DateField(_("converted to paid on"), null=True, blank=True)
    # "unless agreed otherwise": a per-trial period for its content instead of the rule's.
    retention_override_days = models.PositiveIntegerField(
        _("content kept for (days), if agreed otherwise"), null=True, blank=True
    )
    retention_override_note = models.CharField(_("override agreement"), max_length=200, blank=True)

    class Meta:
        ordering = ["-started_on"]
        verbose_name = _("trial")
        indexes = [models.Index(fields=["ended_on"])]

    def __str__(self) -> str:
        return f"{self.organisation} trial from {self.started_on}"

    def is_running(self, *, on: dt.date) -> bool:
        return self.ended_on is None or self.ended_on >= on


class TrialContent(models.Model):
    """Content created inside a trial account; the client is its controller, the operator only
    its processor."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="contents")
    author = models.ForeignKey(
        DataSubject, null=True, blank=True, on_delete=models.SET_NULL, related_name="trial_contents"
    )
    # Client content: a title may name anyone ("Review of …"), as the content may.
    title = EncryptedStringField(_("title"), max_length=200)
    content = EncryptedTextField(_("content"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("trial content")
        verbose_name_plural = _("trial content")

    def __str__(self) -> str:
        return self.title or f"content #{self.pk}"


class Demo(models.Model):
    subject = models.ForeignKey(DataSubject, on_delete=models.CASCADE, related_name="demos")
    held_on = models.DateField(_("held on"))
    notes = EncryptedTextField(_("notes"), null=True, blank=True)

    class Meta:
        ordering = ["-held_on"]
        verbose_name = _("demo")

    def __str__(self) -> str:
        return f"demo on {self.held_on}"


class Invoice(models.Model):
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices"
    )
    billing_contact = models.ForeignKey(
        DataSubject, null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices"
    )
    number = models.CharField(_("number"), max_length=50, unique=True)
    issued_on = models.DateField(_("issued on"), db_index=True)
    billing_name = EncryptedTextField(_("billing name"), max_length=200, null=True, blank=True)
    billing_email = EncryptedEmailField(_("billing e-mail"), null=True, blank=True)
    billing_address = EncryptedTextField(
        _("billing address"), max_length=500, null=True, blank=True
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    class Meta:
        ordering = ["-issued_on", "number"]
        verbose_name = _("invoice")

    def __str__(self) -> str:
        return self.number


class Claim(models.Model):
    subject = models.ForeignKey(
        DataSubject, null=True, blank=True, on_delete=models.SET_NULL, related_name="claims"
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="claims"
    )
    fell_due_on = models.DateField(_("fell due on"), db_index=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    amount = models.DecimalField(
        _("amount"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    description = EncryptedTextField(_("description"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    class Meta:
        ordering = ["-fell_due_on"]
        verbose_name = _("claim")
        constraints = [
            models.CheckConstraint(
                condition=Q(subject__isnull=False)
                | Q(organisation__isnull=False)
                | Q(anonymised_at__isnull=False),
                name="claim_has_a_party",
            )
        ]

    def __str__(self) -> str:
        return f"claim due {self.fell_due_on}"

    @property
    def is_open(self) -> bool:
        return self.closed_on is None


class CommunicationDirection(models.TextChoices):
    INBOUND = "inbound", _("From the person")
    OUTBOUND = "outbound", _("To the person")


class CommunicationChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    MESSAGE = "message", _("Message")
    PHONE = "phone", _("Phone")
    LETTER = "letter", _("Letter")


class Communication(models.Model):
    subject = models.ForeignKey(
        DataSubject, null=True, blank=True, on_delete=models.CASCADE, related_name="communications"
    )
    direction = models.CharField(
        _("direction"), max_length=10, choices=CommunicationDirection.choices
    )
    channel = models.CharField(
        _("channel"),
        max_length=10,
        choices=CommunicationChannel.choices,
        default=CommunicationChannel.EMAIL,
    )
    # No index of its own: every reader asks for one person's messages, through (subject,
    # -sent_at) below. A second index on the time alone cost every write, and the purge's
    # batches above all (migration 0009).
    sent_at = models.DateTimeField(_("sent at"))
    subject_line = EncryptedTextField(_("subject line"), null=True, blank=True)
    body = EncryptedTextField(_("body"), null=True, blank=True)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("communication")
        # A person's latest messages: without it PostgreSQL walks the sent_at index backwards
        # hunting for this person's rows (~200 ms at 140 000 rows).
        indexes = [models.Index(fields=["subject", "-sent_at"])]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.sent_at:%Y-%m-%d}"


class UsageRecord(models.Model):
    subject = models.ForeignKey(
        DataSubject, null=True, blank=True, on_delete=models.SET_NULL, related_name="usage_records"
    )
    # Read per person only, through (subject, -occurred_at): no index of its own (as sent_at).
    occurred_at = models.DateTimeField(_("occurred at"))
    action = models.CharField(_("action"), max_length=100)
    details = EncryptedJSONField(_("details"), null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name = _("usage record")
        indexes = [models.Index(fields=["subject", "-occurred_at"])]

    def __str__(self) -> str:
        return f"{self.action} at {self.occurred_at:%Y-%m-%d %H:%M}"
