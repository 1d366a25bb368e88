"""The consent ledger, objections, suppression and policy versions (GDPR Art. 7, 21).

Consent is never a boolean: it is an append-only ledger of grant, withdrawal and objection
events, and what a person's state *is* at a moment is computed from it (`consent.state`).
Evidence sits in a table of its own so retention can purge it while the event stays.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.appendonly import AppendOnlyModel, AppendOnlyQuerySet
from core.fields import (
    BlindIndexField,
    EncryptedBinaryField,
    EncryptedEmailField,
    EncryptedStringField,
    EncryptedTextField,
    PersonalDataQuerySet,
)


class EventKind(models.TextChoices):
    GRANTED = "granted", _("Granted")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    OBJECTED = "objected", _("Objected")


class Channel(models.TextChoices):
    WEB_FORM = "web_form", _("Web form")
    UNSUBSCRIBE_LINK = "unsubscribe_link", _("Unsubscribe link")
    EMAIL = "email", _("E-mail to the privacy address")
    PHONE = "phone", _("Phone")
    LETTER = "letter", _("Letter")
    STAFF = "staff", _("Staff entry")
    API = "api", _("API")
    # The person's own preference centre, signed in by a link to a stored address.
    SELF_SERVICE = "self_service", _("Self-service")


# Channels staff pick on the log page: the person wrote, called or said it to a colleague.
STAFF_CHANNELS = [Channel.EMAIL, Channel.PHONE, Channel.LETTER, Channel.STAFF]


class PolicyVersionQuerySet(models.QuerySet["PolicyVersion"]):
    def in_force(self, *, on: object) -> PolicyVersionQuerySet:
        return self.filter(effective_on__lte=on).order_by("-effective_on", "-id")


class NoticeStatus(models.TextChoices):
    NOT_QUEUED = "not_queued", _("Not sent (no notice needed)")
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    DONE = "done", _("All notices sent")


class PolicyVersion(models.Model):
    """A version of the privacy policy and the date it takes effect; subjects are told of it
    in good time before that date."""

    version = models.CharField(_("version"), max_length=50, unique=True)
    summary = models.TextField(_("summary of changes"), blank=True)
    full_text = models.TextField(_("full text"))
    effective_on = models.DateField(_("effective on"), db_index=True)
    # Consent-based purposes this version adds: consent given before it does not carry over.
    new_consent_purposes = models.ManyToManyField(
        "processing.Purpose",
        verbose_name=_("new consent-based purposes"),
        blank=True,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    notice_status = models.CharField(
        _("notice status"),
        max_length=20,
        choices=NoticeStatus.choices,
        default=NoticeStatus.NOT_QUEUED,
    )
    notices_total = models.PositiveIntegerField(_("notices to send"), default=0)
    notices_sent = models.PositiveIntegerField(_("notices sent"), default=0)
    notices_finished_at = models.DateTimeField(_("notices finished at"), null=True, blank=True)

    objects = PolicyVersionQuerySet.as_manager()

    class Meta:
        ordering = ["-effective_on", "-id"]
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")

    def __str__(self) -> str:
        return f"{self.version} ({self.effective_on.isoformat()})"

    @property
    def progress_percent(self) -> int:
        if not self.notices_total:
            return 100 if self.notice_status == NoticeStatus.DONE else 0
        return min(100, round(100 * self.notices_sent / self.notices_total))


# The language the policy is written in (seeded from consent/policy/privacy-policy.lv.txt);
# `PolicyVersion.full_text` is in it, and a `PolicyText` adds the version in another language.
POLICY_ORIGINAL_LANGUAGE = "lv"


class PolicyText(models.Model):
    """A policy version in another language than the original, shown to visitors who read
    that language; without one they read the original and are told so."""

    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    full_text = models.TextField(_("full text"))

    class Meta:
        verbose_name = _("policy text in another language")
        verbose_name_plural = _("policy texts in other languages")
        constraints = [
            models.UniqueConstraint(fields=["version", "language"], name="one_text_per_language")
        ]

    def __str__(self) -> str:
        return f"{self.version.version} ({self.language})"


class PolicyNotice(models.Model):
    """One subject told about one policy version; written in the batch that sends the mail."""

    policy_version = models.ForeignKey(
        PolicyVersion, on_delete=models.PROTECT, related_name="notices"
    )
    subject = models.ForeignKey(
        "subjects.DataSubject", on_delete=models.CASCADE, related_name="policy_notices"
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("policy notice")
        constraints = [
            models.UniqueConstraint(
                fields=["policy_version", "subject"], name="one_policy_notice_per_subject"
            )
        ]

    def __str__(self) -> str:
        return f"{self.policy_version_id} → {self.subject_id}"


# Declared at module level so django-stubs resolves the manager the ledger inherits from
# AppendOnlyModel (and with it the reverse relations `consent_events`).
AppendOnlyManager = models.Manager.from_queryset(AppendOnlyQuerySet)


class ConsentEvent(AppendOnlyModel):
    """One grant, withdrawal or objection. Rows are never changed or removed.

    On PostgreSQL the table is partitioned by month of `recorded_at` (`core.partitions`)."""

    subject = models.ForeignKey(
        "subjects.DataSubject",
        verbose_name=_("data subject"),
        on_delete=models.PROTECT,
        related_name="consent_events",
    )
    purpose = models.ForeignKey(
        "processing.Purpose",
        verbose_name=_("purpose"),
        on_delete=models.PROTECT,
        related_name="consent_events",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices, db_index=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # "data subject", "unsubscribe-link", "api:<integration>" when no staff user acted.
    actor_label = models.CharField(_("actor"), max_length=100, blank=True)
    wording = models.TextField(_("wording shown"), blank=True)
    policy_version = models.ForeignKey(
        PolicyVersion,
        verbose_name=_("policy version in force"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    occurred_at = models.DateTimeField(_("when the person acted"), db_index=True)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-recorded_at", "-id"]
        verbose_name = _("consent event")
        verbose_name_plural = _("consent ledger")
        indexes = [models.Index(fields=["subject", "purpose", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.purpose_id} {self.occurred_at:%Y-%m-%d %H:%M}"

    @property
    def actor_display(self) -> str:
        if self.actor_id is not None and self.actor is not None:
            return self.actor.get_username()
        return self.actor_label or "system"

    @property
    def is_backdated(self) -> bool:
        return (self.recorded_at - self.occurred_at).total_seconds() > 60


class ConsentEvidence(models.Model):
    """What proves an event: a note, a scanned letter, the e-mail. Purgeable by retention."""

    # No database constraint: on PostgreSQL the ledger is partitioned by month, and a foreign
    # key there would have to name the month too; a trigger refuses an event that does not
    # exist instead (`core.partitions`), and the ledger's rows never go away.
    event = models.OneToOneField(
        ConsentEvent, on_delete=models.PROTECT, related_name="evidence", db_constraint=False
    )
    text = EncryptedTextField(_("note"), null=True, blank=True)
    file = EncryptedBinaryField(_("file"), null=True, blank=True)
    # A scan's name often names the person ("consent-mari-tamm.pdf").
    file_name = EncryptedStringField(_("file name"), max_length=200)
    file_content_type = models.CharField(_("file type"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    purged_at = models.DateTimeField(_("purged at"), null=True, blank=True)

    class Meta:
        verbose_name = _("consent evidence")
        verbose_name_plural = _("consent evidence")

    def __str__(self) -> str:
        return f"evidence of event {self.event_id}"


class SuppressionEntry(AppendOnlyModel):
    """A keyed hash of an address that objected to marketing: never imported or mailed again.

    GDPR Art. 21(3) + Art. 17(1)(c): the prospect's data is erased, only this stays.
    """

    email_index = models.CharField(_("e-mail blind index"), max_length=64, db_index=True)
    suppressed_on = models.DateField(_("suppressed on"))
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("actor"), max_length=100, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("suppression entry")
        verbose_name_plural = _("suppression list")

    def __str__(self) -> str:
        return f"{self.email_index[:12]}… since {self.suppressed_on.isoformat()}"


class SuppressedImport(models.TextChoices):
    REFUSE = "refuse", _("Refuse to store the person")
    FLAG = "flag", _("Store the person, flagged as suppressed (never marketed to)")


class ConsentSettings(models.Model):
    """The DPO's choices for this app; one row (pk=1)."""

    on_suppressed_import = models.CharField(
        _("when a suppressed address is added again"),
        max_length=10,
        choices=SuppressedImport.choices,
        default=SuppressedImport.REFUSE,
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("consent settings")
        verbose_name_plural = _("consent settings")

    def __str__(self) -> str:
        return str(_("Consent settings"))

    @classmethod
    def load(cls) -> ConsentSettings:
        row, _created = cls.objects.get_or_create(pk=1)
        return row


class ReviewStatus(models.TextChoices):
    OPEN = "open", _("Awaiting the DPO's decision")
    UPHELD = "upheld", _("Objection upheld: processing stops")
    REJECTED = "rejected", _("Compelling legitimate grounds: processing continues")


class ObjectionReviewQuerySet(models.QuerySet["ObjectionReview"]):
    def open(self) -> ObjectionReviewQuerySet:
        return self.filter(status=ReviewStatus.OPEN)


class ObjectionReview(models.Model):
    """GDPR Art. 21(1): the DPO weighs an objection to legitimate-interest processing."""

    # Without a database constraint, as the evidence's (see there).
    event = models.OneToOneField(
        ConsentEvent,
        on_delete=models.PROTECT,
        related_name="objection_review",
        db_constraint=False,
    )
    subject = models.ForeignKey(
        "subjects.DataSubject", on_delete=models.PROTECT, related_name="objection_reviews"
    )
    purpose = models.ForeignKey("processing.Purpose", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ReviewStatus.choices,
        default=ReviewStatus.OPEN,
        db_index=True,
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    # Whether opening the review restricted the person (Art. 18(1)(d)), so deciding lifts it.
    restricted_by_review = models.BooleanField(default=False)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reasoning = EncryptedTextField(_("reasoning"), null=True, blank=True)

    objects = ObjectionReviewQuerySet.as_manager()

    class Meta:
        ordering = ["opened_at", "id"]
        verbose_name = _("objection review")

    def __str__(self) -> str:
        return f"objection review {self.pk} ({self.get_status_display()})"


class PendingSubscriptionQuerySet(PersonalDataQuerySet["PendingSubscription"]):
    pass


class PendingSubscription(models.Model):
    """A newsletter subscription asked for on `/p/subscribe/` and not yet confirmed.

    The confirmation link names this row and nothing else (a signed id and a random nonce):
    the address, the name and the wording stay here, encrypted, so the link reveals nothing
    to whoever reads the e-mail on its way. The click claims the nonce with a conditional
    UPDATE, so a link works once: a replay (after an unsubscribe, say) records nothing. The
    row's personal data is cleared at the click (it now lives in the person's record and the
    ledger) and the row itself goes after the link's 7 days (rule `pending-subscriptions-7d`).
    """

    email = EncryptedEmailField(_("e-mail"), null=True, blank=True)
    email_index = BlindIndexField(source="email")
    name = EncryptedTextField(_("name"), max_length=200, null=True, blank=True)
    # Consent-based purposes asked for, and the sentence shown (GDPR Art. 7(1)).
    purpose_ids = models.JSONField(_("purposes"), default=list)
    wording = models.TextField(_("wording shown"))
    language = models.CharField(_("language"), max_length=10, blank=True)
    nonce = models.CharField(max_length=43, blank=True)
    requested_at = models.DateTimeField(_("asked at"), default=timezone.now, db_index=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    objects = PendingSubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("pending subscription")
        verbose_name_plural = _("pending subscriptions")

    def __str__(self) -> str:
        return f"pending subscription {self.pk}"


# CSV imports live in a package of their own; imported here so Django sees
# the model as one of this app.
from consent.imports.models import CsvImport as CsvImport  # noqa: E402
