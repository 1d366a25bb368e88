"""Who the data subjects are: organisations, people and their kind
history, with the one definition of a legal hold and of a restriction.

Everything personal is stored in the frame's encrypted fields — names, position and every
free-text reason included; names are searched through their words' blind indexes
(`subjects.models.names`). There is deliberately no field for special categories of data
(GDPR Art. 9) or criminal convictions (Art. 10).

The organisation's name and registry code stay in clear: they name the client company (a
legal person, outside the GDPR), and the lists search and sort by them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from core.crypto import blind_index
from core.fields import (
    BlindIndexField,
    EncryptedBinaryField,
    EncryptedDateField,
    EncryptedEmailField,
    EncryptedStringField,
    EncryptedTextField,
)
from core.timeutil import start_of_legal_day

# The categories of data subjects are the register's vocabulary (GDPR Art. 30(1)(c)): the
# register says which purposes cover which kind; this app stores the people of each kind.
from processing.models import SubjectKind
from processing.selectors import storage_locations_for
from subjects.models.names import (
    NAME_PARTS,
    NameTokenWrites,
    name_search_condition,
    replace_name_tokens,
)

ONE_DAY = dt.timedelta(days=1)
# Data minimisation by kind: prospects get less (no date of birth, photo or address).
PROSPECT_KINDS = frozenset({SubjectKind.PROSPECT, SubjectKind.PROSPECT_REPRESENTATIVE})


class OrganisationStatus(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    TRIAL = "trial", _("Trial")
    DEMO = "demo", _("Demo")
    PAYING = "paying", _("Paying client")
    FORMER = "former", _("Former client")


PROSPECT_STATUSES = frozenset(
    {OrganisationStatus.PROSPECT, OrganisationStatus.TRIAL, OrganisationStatus.DEMO}
)


class RestrictionGround(models.TextChoices):
    """GDPR Art. 18(1): why processing is restricted."""

    ACCURACY_CONTESTED = "accuracy_contested", _("Accuracy contested, while it is checked")
    UNLAWFUL_KEPT = "unlawful_kept", _("Processing unlawful; the person asked to keep the data")
    NEEDED_FOR_CLAIMS = "needed_for_claims", _("The person needs the data for a legal claim")
    OBJECTION_PENDING = "objection_pending", _("An objection awaits the balancing decision")


class Source(models.TextChoices):
    SUBJECT = "subject", _("Given by the person")
    COLLEAGUE = "colleague", _("Given by a client representative or a colleague")
    THIRD_PARTY = "third_party", _("Received from a third party")
    AUTOMATIC = "automatic", _("Collected automatically (cookies)")
    PUBLIC_REGISTER = "public_register", _("Taken from a public register")


# GDPR Art. 14: data not obtained from the person needs an information notice.
SOURCES_NEEDING_NOTICE = frozenset({Source.COLLEAGUE, Source.THIRD_PARTY, Source.PUBLIC_REGISTER})


def source_needs_notice(source: str) -> bool:
    """GDPR Art. 14: data a colleague, a third party or a public register gave needs a notice;
    what the person gave, or their device sent (Art. 13), does not."""
    return source in SOURCES_NEEDING_NOTICE


# GDPR Art. 14(3)(a): the notice goes "at the latest within one month" of collection.
INFORMATION_NOTICE_MONTHS = 1

# The language a person is written to when they have not said which they prefer: the
# operator's Baltic markets, English otherwise.
COUNTRY_LANGUAGES = {"EE": "et", "LV": "lv"}


class LegalHold(models.Model):
    """A legal hold stops every purge of the holder until it is lifted."""

    # The reason may name a person (a claimant, a court case): encrypted, blank when no hold.
    legal_hold_reason = EncryptedStringField(_("legal hold reason"))
    legal_hold_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("legal hold set by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    legal_hold_set_at = models.DateTimeField(_("legal hold set at"), null=True, blank=True)
    legal_hold_review_on = models.DateField(_("legal hold review date"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def on_legal_hold(self) -> bool:
        return bool(self.legal_hold_reason)


def hold_in_force(*, as_of: dt.date | None, prefix: str = "") -> Q:
    """A legal hold counts from the day it was set until it is lifted (lifting clears it).
    `as_of=None`: any hold now in place."""
    condition = Q(**{f"{prefix}legal_hold_reason__isnull": False})
    if as_of is not None:
        set_by_then = Q(**{f"{prefix}legal_hold_set_at__lt": start_of_legal_day(as_of + ONE_DAY)})
        condition &= set_by_then | Q(**{f"{prefix}legal_hold_set_at__isnull": True})
    return condition


class OrganisationQuerySet(models.QuerySet["Organisation"]):
    def prospects(self) -> OrganisationQuerySet:
        return self.filter(status__in=PROSPECT_STATUSES)

    def held(self, *, as_of: dt.date | None = None) -> OrganisationQuerySet:
        """Organisations on legal hold on `as_of`: nothing of theirs or their people's is
        purged or erased."""
        return self.filter(hold_in_force(as_of=as_of))


class Organisation(LegalHold):
    name = models.CharField(_("name"), max_length=200, db_index=True)
    registry_code = models.CharField(_("registry code"), max_length=50, blank=True)
    country = CountryField(_("country"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=OrganisationStatus.choices,
        default=OrganisationStatus.PROSPECT,
        db_index=True,
    )
    contract_started_on = models.DateField(_("contract started on"), null=True, blank=True)
    contract_ended_on = models.DateField(_("contract ended on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    @property
    def is_prospect(self) -> bool:
        return self.status in PROSPECT_STATUSES


def held_condition(*, as_of: dt.date | None) -> Q:
    """The one definition of a legal hold over a person: their own hold, or their
    organisation's (`DataSubject.objects.held`; the purge tests a person's own row with it)."""
    return hold_in_force(as_of=as_of) | Q(
        organisation__in=Organisation.objects.held(as_of=as_of).values("pk")
    )


def in_use_condition() -> Q:
    """The one definition of a person still in use (`DataSubject.objects.active`)."""
    return Q(anonymised_at__isnull=True, erasure_requested_at__isnull=True)


def restricted_condition() -> Q:
    """The one definition of a restriction of processing (GDPR Art. 18): while it stands the
    data is only stored — no marketing, no purge (`DataSubject.objects.restricted`)."""
    return Q(restricted_at__isnull=False)


class DataSubjectQuerySet(NameTokenWrites["DataSubject"]):
    def prospects(self) -> DataSubjectQuerySet:
        return self.filter(kind__in=PROSPECT_KINDS)

    def active(self) -> DataSubjectQuerySet:
        """People still in use: not anonymised, and not erased on request (someone kept only
        for a claim after asking for erasure is in no list, search, audience or export)."""
        return self.filter(in_use_condition())

    def stored(self) -> DataSubjectQuerySet:
        """People whose data is still stored, whether or not in use: not anonymised. Someone
        kept for a claim or a hold after asking for erasure is out of every list, but a breach
        of what is stored still reaches them (GDPR Art. 33(3)(a), 34)."""
        return self.filter(anonymised_at__isnull=True)

    def with_email(self, email: str) -> DataSubjectQuerySet:
        return self.filter(work_email_index=blind_index(email))

    def search(self, text: str) -> DataSubjectQuerySet:
        """Organisation (any part of its name), or a person whose first and last names hold
        every word typed — whole words, case and diacritics folded ("berzins" finds Bērziņš,
        "kask" finds Kask-Tamm, "kas" finds neither), through the words' blind indexes, so no
        name is decrypted to search; or the exact e-mail when the text looks like one."""
        text = text.strip()
        if not text:
            return self
        if "@" in text:
            return self.with_email(text)
        condition = Q(organisation__name__icontains=text)
        if (name := name_search_condition(text)) is not None:
            condition |= name
        return self.filter(condition)

    def restricted(self) -> DataSubjectQuerySet:
        """People whose processing is restricted (GDPR Art. 18)."""
        return self.filter(restricted_condition())

    def held(self, *, as_of: dt.date | None = None) -> DataSubjectQuerySet:
        """People on legal hold on `as_of`, their own or their organisation's. The purge,
        its preview, erasure on request and the pages all ask this."""
        return self.filter(held_condition(as_of=as_of))

    def informed_overdue(self, *, as_of: dt.date) -> DataSubjectQuerySet:
        """GDPR Art. 14(3)(a): told "at the latest within one month" of collection, so overdue
        as of D when `months_after(legal_date(collected_at), 1) < D` (collected 28 February:
        due 28 March, overdue from the 29th). The cutoff states that exactly on the column."""
        from core.timeutil import months_after_cutoff, start_of_legal_day

        cutoff = start_of_legal_day(months_after_cutoff(as_of, INFORMATION_NOTICE_MONTHS))
        return self.active().filter(
            source__in=SOURCES_NEEDING_NOTICE, informed_at__isnull=True, collected_at__lt=cutoff
        )


class DataSubject(LegalHold):
    # The SaaS platform's id for the person: bulk imports and the API match on it first (then
    # on the work e-mail). An opaque pseudonymous key, cleared with the rest on anonymisation.
    external_id = models.CharField(
        _("external id"), max_length=100, null=True, blank=True, unique=True
    )
    kind = models.CharField(_("kind"), max_length=30, choices=SubjectKind.choices, db_index=True)
    first_name = EncryptedStringField(_("first name"), max_length=100)
    last_name = EncryptedStringField(_("last name"), max_length=100)
    date_of_birth = EncryptedDateField(_("date of birth"), null=True, blank=True)
    photo = EncryptedBinaryField(_("photo"), null=True, blank=True)
    photo_content_type = models.CharField(_("photo type"), max_length=50, blank=True)
    work_address = EncryptedTextField(_("work address"), max_length=500, null=True, blank=True)
    work_phone = EncryptedTextField(_("work phone"), max_length=50, null=True, blank=True)
    work_email = EncryptedEmailField(_("work e-mail"), null=True, blank=True)
    work_email_index = BlindIndexField(source="work_email")
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="people",
    )
    position = EncryptedStringField(_("position"), max_length=150)
    country = CountryField(_("country"), blank=True, db_index=True)
    # Blank: not known; e-mails then guess from the country (`letter_language`).
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, blank=True
    )
    source = models.CharField(
        _("source"), max_length=20, choices=Source.choices, default=Source.SUBJECT
    )
    collected_at = models.DateTimeField(_("collected at"), default=timezone.now)
    informed_at = models.DateTimeField(_("informed at (Art. 14)"), null=True, blank=True)
    restricted_at = models.DateTimeField(_("restricted since (Art. 18)"), null=True, blank=True)
    restriction_ground = models.CharField(
        _("restriction ground"), max_length=30, choices=RestrictionGround.choices, blank=True
    )
    restriction_reason = EncryptedStringField(_("restriction reason"))
    # Art. 18(3): the person is told before a restriction is lifted; this is when.
    restriction_lift_announced_at = models.DateTimeField(
        _("lifting of the restriction announced"), null=True, blank=True
    )
    # Erasure on request (Art. 17): from this moment the person is gone from lists, searches,
    # audiences and exports, even while a kept claim still holds their data.
    erasure_requested_at = models.DateTimeField(
        _("erasure requested"), null=True, blank=True, db_index=True
    )
    flagged_for_erasure_at = models.DateTimeField(_("flagged for erasure"), null=True, blank=True)
    erasure_flag_reason = EncryptedStringField(_("erasure flag reason"), max_length=200)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = DataSubjectQuerySet.as_manager()

    class Meta:
        # Never by name: the names are ciphertext, and sorting by them would mean decrypting
        # every row. The order people were entered in, on the primary key's index.
        ordering = ["id"]
        verbose_name = _("data subject")
        verbose_name_plural = _("data subjects")
        indexes = [models.Index(fields=["organisation", "kind"])]

    def __str__(self) -> str:
        if self.anonymised_at:
            return f"{_('Anonymised person')} #{self.pk}"
        return self.full_name or f"#{self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Storage, not a business rule: the row and its name tokens are written together
        (`subjects.models.names`), as `pre_save` writes the e-mail's blind index."""
        adding = self._state.adding
        saved = kwargs.get("update_fields")
        names = [
            name
            for name in NAME_PARTS
            if (saved is None or name in saved) and name not in self.get_deferred_fields()
        ]
        with transaction.atomic(using=kwargs.get("using"), savepoint=False):
            super().save(*args, **kwargs)
            replace_name_tokens([self], names, using=self._state.db or "default", adding=adding)

    def get_absolute_url(self) -> str:
        return reverse("subjects:detail", args=[self.pk])

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_prospect(self) -> bool:
        return self.kind in PROSPECT_KINDS

    @property
    def is_restricted(self) -> bool:
        return self.restricted_at is not None

    @property
    def needs_information_notice(self) -> bool:
        return source_needs_notice(self.source)

    def letter_language(self) -> str:
        """The language every e-mail to the person is written in: the one they prefer, else
        a guess from where they are located, else English."""
        if self.preferred_language:
            return self.preferred_language
        return COUNTRY_LANGUAGES.get(str(self.country or ""), "en")

    @cached_property
    def storage_locations(self) -> list[str]:
        """Where the person's data is stored, as the register's transfers say: one
        query, once per instance; a list reads `processing.selectors.regional_storage()` once
        for the whole page instead."""
        return storage_locations_for(str(self.country or ""))


class KindChange(models.Model):
    """A person's kind changes over time; each change is kept with its date."""

    subject = models.ForeignKey(DataSubject, on_delete=models.CASCADE, related_name="kind_history")
    kind = models.CharField(_("kind"), max_length=30, choices=SubjectKind.choices)
    previous_kind = models.CharField(
        _("previous kind"), max_length=30, choices=SubjectKind.choices, blank=True
    )
    changed_on = models.DateField(_("changed on"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["subject", "changed_on", "id"]
        verbose_name = _("kind change")

    def __str__(self) -> str:
        previous = self.get_previous_kind_display() or "—"
        return f"{self.subject_id}: {previous} → {self.get_kind_display()} on {self.changed_on}"
