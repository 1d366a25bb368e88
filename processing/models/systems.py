"""The systems register: where personal data lives outside the portal (GDPR
Art. 30(1)(d)), and how a request reaches it."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedTextField
from processing.models.register import DataCategory, Processor, Recipient, SubjectKind


class SystemKind(models.TextChoices):
    INTERNAL = "internal", _("Internal system")
    PROCESSOR = "processor", _("Processor")
    RECIPIENT = "recipient", _("Recipient")


class Connector(models.TextChoices):
    MANUAL = "manual", _("Manual: its owner gets a task")
    WEBHOOK = "webhook", _("Webhook: a signed HTTPS call")
    # The portal itself finds and erases the person by SQL, following the database's manifest
    # (`processing.databases`; connected by `manage.py connect_database`).
    DATABASE = "database", _("Database: the portal acts on it by SQL, by its manifest")


class SystemQuerySet(models.QuerySet["System"]):
    def active(self) -> SystemQuerySet:
        return self.filter(active=True)

    def holding_any_of(self, categories: Iterable[str]) -> SystemQuerySet:
        """Systems holding at least one of these data-category codes (EXISTS, so a system
        holding several of them comes back once)."""
        held = System.categories.through.objects.filter(
            system_id=OuterRef("pk"), datacategory__code__in=list(categories)
        )
        return self.filter(Exists(held))


class System(models.Model):
    """A place outside the portal where personal data lives (GDPR Art. 30(1)(d)):
    an internal system, a processor or a recipient, and how a request reaches it (Art. 17, 19).

    Rules in `processing.rules.system_field_problems`, checked by `clean()`; writes go through
    `processing.services.systems`, which also keep the signing secrets.
    """

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=SystemKind.choices)
    processor = models.ForeignKey(
        Processor,
        verbose_name=_("processor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="systems",
    )
    recipient = models.ForeignKey(
        Recipient,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="systems",
    )
    # Empty only for seeded rows, which wait for the Admin to name their owner: until then the
    # system is a warning on its page and in the list.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_systems",
    )
    categories = models.ManyToManyField(
        DataCategory, verbose_name=_("data categories"), related_name="systems", blank=True
    )
    # Required, but by processing.rules, whose message names the kinds to choose from.
    subject_kinds = models.JSONField(_("subject kinds"), default=list, blank=True)
    connector = models.CharField(
        _("connector"), max_length=20, choices=Connector.choices, default=Connector.MANUAL
    )
    webhook_url = models.URLField(_("webhook URL"), max_length=500, blank=True)
    synchronous = models.BooleanField(
        _("synchronous"),
        default=False,
        help_text=_("The system does the work before it answers: a 2xx answer completes it."),
    )
    # A credential, not a person's data: encrypted at rest and re-encrypted on key rotation,
    # outside retention and access reports. During a rotation the previous secret still
    # verifies callbacks (the system may not have switched yet); only the current one signs.
    webhook_secret = EncryptedTextField(
        _("signing secret"), blank=True, editable=False, personal_data=False
    )
    previous_webhook_secret = EncryptedTextField(
        _("previous signing secret"), blank=True, editable=False, personal_data=False
    )
    secret_rotated_at = models.DateTimeField(
        _("secret rotated at"), null=True, blank=True, editable=False
    )
    # Plain text, unlike people's data: the business mailbox where a recipient takes Art. 19
    # notices (privacy@…), which the Admin and the Auditor read in the register.
    contact_email = models.EmailField(
        _("contact e-mail"),
        blank=True,
        help_text=_(
            "Where a manual recipient is sent notices of rectification, erasure and "
            "restriction (GDPR Art. 19). A role address (privacy@…), not a person's."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    # Which seeded entry this row is, so reseeding finds it after the Admin renamed it.
    seed_key = models.CharField(max_length=100, unique=True, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = SystemQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("system")
        constraints = [
            models.CheckConstraint(
                condition=Q(processor__isnull=True) | Q(recipient__isnull=True),
                name="system_has_one_party_at_most",
            ),
            models.CheckConstraint(
                condition=(Q(processor__isnull=True) | Q(kind="processor"))
                & (Q(recipient__isnull=True) | Q(kind="recipient")),
                name="system_party_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(owner__isnull=False) | Q(seed_key__isnull=False),
                name="system_has_owner_unless_seeded",
            ),
            models.CheckConstraint(
                condition=~Q(connector="webhook") | ~Q(webhook_url=""),
                name="webhook_system_has_url",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("processing:system_detail", args=[self.pk])

    def clean(self) -> None:
        # processing.rules reads this module's choices, so it is imported once models exist.
        from processing.rules import refuse, system_field_problems

        refuse(system_field_problems(self))

    @property
    def is_webhook(self) -> bool:
        return self.connector == Connector.WEBHOOK

    @property
    def has_secret(self) -> bool:
        return bool(self.webhook_secret)

    @property
    def verifying_secrets(self) -> list[str]:
        """The secrets a callback may be signed with: the current one, and the previous one
        until the next rotation."""
        return [s for s in (self.webhook_secret, self.previous_webhook_secret) if s]

    @property
    def party(self) -> Processor | Recipient | None:
        return self.processor or self.recipient

    @property
    def subject_kind_labels(self) -> list[str]:
        labels = dict(SubjectKind.choices)
        return [str(labels.get(kind, kind)) for kind in self.subject_kinds]
