"""The processing register (GDPR Art. 30): purposes, legal bases, data categories,
processors, recipients and transfers."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from core.timeutil import legal_today
from processing.adequacy import (
    DPF_DECISION,
    AdequacyDecision,
    adequacy_decision_for,
    dpf_recheck_due,
)
from processing.category_fields import category_field_problems, readable_fields


class SubjectKind(models.TextChoices):
    """The categories of data subjects the policy names (GDPR Art. 30(1)(c))."""

    CLIENT = "client", _("Client")
    CLIENT_REPRESENTATIVE = "client_representative", _("Client representative")
    USER = "user", _("User")
    PROSPECT = "prospect", _("Prospect")
    PROSPECT_REPRESENTATIVE = "prospect_representative", _("Prospect representative")
    OTHER = "other", _("Other")


class LegalBasis(models.TextChoices):
    # GDPR Art. 6(1)
    CONSENT = "consent", _("Consent — Art. 6(1)(a)")
    CONTRACT = "contract", _("Contract — Art. 6(1)(b)")
    LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation — Art. 6(1)(c)")
    VITAL_INTERESTS = "vital_interests", _("Vital interests — Art. 6(1)(d)")
    PUBLIC_TASK = "public_task", _("Public task — Art. 6(1)(e)")
    LEGITIMATE_INTEREST = "legitimate_interest", _("Legitimate interest — Art. 6(1)(f)")


class DataCategory(models.Model):
    code = models.SlugField(_("code"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    # Model fields of subjects.DataSubject in this category, for grouping the subject page;
    # read through `field_names` (processing.category_fields).
    fields = models.JSONField(_("fields"), default=list, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("data category")
        verbose_name_plural = _("data categories")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if problems := category_field_problems(self.fields):
            raise ValidationError(problems)

    @property
    def field_names(self) -> list[str]:
        return readable_fields(self)


class PurposeQuerySet(models.QuerySet["Purpose"]):
    def active(self) -> PurposeQuerySet:
        return self.filter(active=True)

    def consent_based(self) -> PurposeQuerySet:
        return self.filter(legal_basis=LegalBasis.CONSENT)


class Purpose(models.Model):
    code = models.SlugField(_("code"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=30, choices=LegalBasis.choices)
    subject_kinds = models.JSONField(
        _("subject kinds"),
        default=list,
        help_text=_("The kinds of data subject this purpose covers."),
    )
    categories = models.ManyToManyField(
        DataCategory, verbose_name=_("data categories"), related_name="purposes", blank=True
    )
    # The legitimate-interest assessment (GDPR Art. 6(1)(f), Recital 47), in its four parts;
    # required for legitimate interest (processing.rules).
    lia_purpose = models.TextField(
        _("purpose test"),
        blank=True,
        help_text=_("Legitimate interest: which interest is pursued, and whose."),
    )
    lia_necessity = models.TextField(
        _("necessity test"),
        blank=True,
        help_text=_("Legitimate interest: why this processing, and no less, is needed."),
    )
    lia_balancing = models.TextField(
        _("balancing test"),
        blank=True,
        help_text=_(
            "Legitimate interest: why the person's interests, rights and freedoms do not "
            "override it."
        ),
    )
    lia_safeguards = models.TextField(
        _("safeguards"),
        blank=True,
        help_text=_("Legitimate interest: what limits the effect on the person."),
    )
    # Who last reviewed the assessment and when the next review is due: an assessment is
    # revisited as the processing changes (EDPB guidelines 1/2024, para. 73).
    lia_reviewer = models.CharField(_("reviewed by"), max_length=200, blank=True)
    lia_reviewed_on = models.DateField(_("reviewed on"), null=True, blank=True)
    lia_review_due_on = models.DateField(_("next review by"), null=True, blank=True)
    is_direct_marketing = models.BooleanField(_("direct marketing"), default=False)
    active = models.BooleanField(_("active"), default=True)

    objects = PurposeQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("purpose")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # processing.rules reads this module's choices, so it is imported once models exist.
        from processing.rules import purpose_problems, refuse

        refuse(purpose_problems(self))

    def applies_to_kind(self, kind: str) -> bool:
        return kind in self.subject_kinds

    @property
    def is_consent_based(self) -> bool:
        return self.legal_basis == LegalBasis.CONSENT

    @property
    def is_legitimate_interest(self) -> bool:
        return self.legal_basis == LegalBasis.LEGITIMATE_INTEREST

    @property
    def person_can_withdraw_or_object(self) -> bool:
        # GDPR Art. 7(3): consent can be withdrawn; Art. 21: legitimate interest can be objected
        # to (the operator has no public task, the other basis Art. 21(1) names).
        return self.is_consent_based or self.is_legitimate_interest

    @property
    def legitimate_interest_assessment(self) -> list[tuple[str, str]]:
        """The four parts with their labels, in the order the assessment is made."""
        return [
            (str(_("Purpose test")), self.lia_purpose),
            (str(_("Necessity test")), self.lia_necessity),
            (str(_("Balancing test")), self.lia_balancing),
            (str(_("Safeguards")), self.lia_safeguards),
        ]

    @property
    def balancing_test(self) -> str:
        """The whole assessment as one text, for pages that show it at once (the DPO deciding
        an objection)."""
        return "\n\n".join(
            f"{label}: {text}" for label, text in self.legitimate_interest_assessment if text
        )


class ProcessorCategory(models.Model):
    """The privacy policy's nine kinds of processor (data storage, e-mail, payment, ...)."""

    code = models.SlugField(_("code"), unique=True)
    name = models.CharField(_("name"), max_length=150)

    class Meta:
        ordering = ["id"]
        verbose_name = _("processor category")
        verbose_name_plural = _("processor categories")

    def __str__(self) -> str:
        return self.name


class Processor(models.Model):
    name = models.CharField(_("name"), max_length=200)
    category = models.ForeignKey(
        ProcessorCategory, on_delete=models.PROTECT, related_name="processors"
    )
    country = CountryField(_("country"))
    dpa_reference = models.CharField(_("DPA reference"), max_length=100, blank=True)
    dpa_signed_on = models.DateField(_("DPA signed on"), null=True, blank=True)
    # GDPR Art. 28(3): the contract is the processor's whole mandate; it is reviewed as the
    # service and the law change.
    dpa_review_due_on = models.DateField(_("DPA review due on"), null=True, blank=True)
    purposes = models.ManyToManyField(Purpose, related_name="processors", blank=True)
    # Which seeded entry this row is, so reseeding finds it after the Admin renamed it.
    seed_key = models.CharField(max_length=100, unique=True, null=True, blank=True, editable=False)

    class Meta:
        ordering = ["category", "name"]
        verbose_name = _("processor")

    def __str__(self) -> str:
        return self.name


class SubProcessor(models.Model):
    """A processor's own processor (GDPR Art. 28(2), (4)): engaged only with the operator's
    authorisation, under the same obligations."""

    processor = models.ForeignKey(
        Processor, on_delete=models.CASCADE, related_name="sub_processors"
    )
    name = models.CharField(_("name"), max_length=200)
    country = CountryField(_("country"))
    service = models.CharField(_("what it does"), max_length=300, blank=True)

    class Meta:
        ordering = ["processor", "name"]
        verbose_name = _("sub-processor")

    def __str__(self) -> str:
        return f"{self.name} ({self.processor})"


class RecipientKind(models.TextChoices):
    CLIENT = "client", _("The client (the person's company)")
    AUDITOR = "auditor", _("Auditors")
    AUTHORITY = "authority", _("Authorities, when law requires")
    OTHER = "other", _("Other third party (with consent)")


class Recipient(models.Model):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=RecipientKind.choices)
    description = models.TextField(_("description"), blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=30, choices=LegalBasis.choices)
    purposes = models.ManyToManyField(Purpose, related_name="recipients", blank=True)
    # Which seeded entry this row is, so reseeding finds it after the Admin renamed it.
    seed_key = models.CharField(max_length=100, unique=True, null=True, blank=True, editable=False)

    class Meta:
        ordering = ["id"]
        verbose_name = _("recipient")

    def __str__(self) -> str:
        return self.name


class TransferGround(models.TextChoices):
    ADEQUACY = "adequacy", _("Adequacy decision (GDPR Art. 45)")
    DPF = "dpf", _("EU–US Data Privacy Framework certification (Art. 45)")
    SCC = "scc", _("Standard contractual clauses (Art. 46(2)(c))")
    BCR = "bcr", _("Binding corporate rules (Art. 47)")


class Transfer(models.Model):
    """A transfer outside the EEA and its legal ground (GDPR Art. 44-49)."""

    processor = models.ForeignKey(
        Processor, null=True, blank=True, on_delete=models.CASCADE, related_name="transfers"
    )
    recipient = models.ForeignKey(
        Recipient, null=True, blank=True, on_delete=models.CASCADE, related_name="transfers"
    )
    destination_country = CountryField(_("destination country"))
    ground = models.CharField(_("ground"), max_length=20, choices=TransferGround.choices)
    # For the USA the adequacy decision covers a recipient only while it is certified.
    certification_checked_on = models.DateField(
        _("certification checked on"), null=True, blank=True
    )
    # Standard contractual clauses and binding corporate rules are documents (GDPR Art. 46(2)).
    document_reference = models.CharField(
        _("document reference"),
        max_length=200,
        blank=True,
        help_text=_("SCC or BCR: the reference of the signed clauses or the approved rules."),
    )
    # Empty: applies to everyone whose data the processor or recipient holds. Otherwise only
    # to people located in these countries (the Australian storage), and then it is where
    # their data is stored (DataSubject.storage_locations).
    subject_countries = models.JSONField(_("for people located in"), default=list, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("transfer")
        constraints = [
            models.CheckConstraint(
                condition=(Q(processor__isnull=False) & Q(recipient__isnull=True))
                | (Q(processor__isnull=True) & Q(recipient__isnull=False)),
                name="transfer_has_one_party",
            ),
            models.CheckConstraint(
                condition=~Q(ground="dpf") | Q(certification_checked_on__isnull=False),
                name="dpf_transfer_has_check_date",
            ),
        ]

    def __str__(self) -> str:
        party = self.processor or self.recipient
        return f"{party} → {self.destination_country} ({self.get_ground_display()})"

    def clean(self) -> None:
        # processing.rules reads this module's choices, so it is imported once models exist.
        from processing.rules import refuse, transfer_problems

        refuse(transfer_problems(self, today=legal_today()))

    def applies_to_country(self, country: str) -> bool:
        return not self.subject_countries or country in self.subject_countries

    @property
    def adequacy_decision(self) -> AdequacyDecision | None:
        """The Commission decision this transfer rests on, if its ground is adequacy."""
        country = str(self.destination_country or "")
        if self.ground == TransferGround.DPF:
            return DPF_DECISION if country == DPF_DECISION.country else None
        if self.ground == TransferGround.ADEQUACY:
            return adequacy_decision_for(country)
        return None

    @property
    def certification_recheck_due(self) -> dt.date | None:
        if self.ground != TransferGround.DPF or self.certification_checked_on is None:
            return None
        return dpf_recheck_due(self.certification_checked_on)
