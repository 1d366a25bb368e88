"""Consent data declared to the retention engine (autodiscovered by `retention`).

The ledger and the suppression list are kept on purpose; the evidence behind a ledger event
(a note, a scanned letter) is personal data of its own and goes three years after the person
was anonymised: long enough to demonstrate consent and its withdrawal for the general
limitation period, while the event row itself stays as the proof (GDPR Art. 7(1)).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from consent.models import ConsentEvidence, CsvImport, ObjectionReview, PendingSubscription
from core.timeutil import legal_date, start_of_legal_day
from retention.periods import Period, purge_cutoff
from retention.registry import ANONYMISE, DELETE, Applied, RecordType, exempt, register

exempt(
    "consent.ConsentEvent",
    _("Consent ledger: append-only proof of consent and withdrawal (GDPR Art. 7(1))."),
)
exempt(
    "consent.SuppressionEntry",
    _("Suppression list: a keyed hash only, so an objection is honoured forever (Art. 21(3))."),
)


class AfterAnonymisation(RecordType):
    """Records kept while the person is known, then for a period after anonymisation."""

    anchors = {
        "subject_anonymised": pgettext_lazy("data subject", "the day the person was anonymised")
    }
    actions = (ANONYMISE,)

    def applicable(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        return qs.filter(**{f"{self.subject_path}__anonymised_at__isnull": False})

    def governed(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        return qs  # a known person's record waits for its anchor, the person's anonymisation

    def awaiting(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        return qs.filter(**{f"{self.subject_path}__anonymised_at__isnull": True})

    def expired(self, qs: QuerySet[Any], *, period: Period, as_of: dt.date) -> QuerySet[Any]:
        # anchor + period < as_of  ⇔  anchor < cutoff, the anchor being the legal day.
        cutoff = start_of_legal_day(purge_cutoff(as_of, period))
        return qs.filter(**{f"{self.subject_path}__anonymised_at__lt": cutoff})

    def anchor_of(self, record: Any) -> dt.date | None:
        subject = record.subject if hasattr(record, "subject") else record.event.subject
        return legal_date(subject.anonymised_at) if subject.anonymised_at else None


@register
class EvidenceOfAnonymisedPeople(AfterAnonymisation):
    code = "consent.evidence"
    kept_on_erasure = pgettext_lazy(
        "data subject",
        "Proof of the consents you gave and withdrew, kept without your identity so that we "
        "can show our processing was lawful (GDPR Art. 7(1)).",
    )
    label = _("Consent evidence of anonymised people")
    model_label = "consent.ConsentEvidence"
    subject_path = "event__subject"
    clears = _(
        "The evidence note and file behind each ledger event. The ledger event itself "
        "(what, when, channel, wording, policy version) stays."
    )

    def pending(self, qs: QuerySet[Any], *, action: str) -> QuerySet[Any]:
        return qs.filter(purged_at__isnull=True)

    def apply(self, ids: Sequence[int], *, action: str, now: dt.datetime) -> Applied:
        applied = Applied()
        applied.add(
            "consent.consentevidence",
            ConsentEvidence.objects.filter(pk__in=ids, purged_at__isnull=True).update(
                text=None, file=None, file_name="", file_content_type="", purged_at=now
            ),
        )
        return applied


@register
class ObjectionReviewsOfAnonymisedPeople(AfterAnonymisation):
    code = "consent.objection_review"
    kept_on_erasure = pgettext_lazy(
        "data subject",
        "The record of how your objection was weighed and decided (GDPR Art. 21(1)), kept "
        "without your identity.",
    )
    label = _("Art. 21(1) objection reviews of anonymised people")
    model_label = "consent.ObjectionReview"
    subject_path = "subject"
    clears = _("The DPO's written reasoning; the decision, its date and who made it stay.")

    def pending(self, qs: QuerySet[Any], *, action: str) -> QuerySet[Any]:
        return qs.filter(reasoning__isnull=False)

    def apply(self, ids: Sequence[int], *, action: str, now: dt.datetime) -> Applied:
        applied = Applied()
        applied.add(
            "consent.objectionreview",
            ObjectionReview.objects.filter(pk__in=ids).update(reasoning=None),
        )
        return applied


@register
class PendingSubscriptions(RecordType):
    """A subscription asked for is kept only while its confirmation link works
    (`consent.emails.SUBSCRIBE_LINK_DAYS`): after that nobody can confirm it, so the address
    has no purpose left (GDPR Art. 5(1)(e))."""

    code = "consent.pending_subscription"
    label = _("Subscriptions asked for on the public form (confirmed or not)")
    model_label = "consent.PendingSubscription"
    anchors = {"subscription_requested": _("the day the subscription was asked for")}
    actions = (DELETE,)
    # Nobody's yet: an unconfirmed address belongs to no stored person, so no hold applies.
    subject_path = None
    clears = _(
        "The whole row: the address, name, wording and purposes asked for. A confirmed "
        "subscription lives on in the person's record and the consent ledger."
    )

    def expired(self, qs: QuerySet[Any], *, period: Period, as_of: dt.date) -> QuerySet[Any]:
        return qs.filter(requested_at__lt=start_of_legal_day(purge_cutoff(as_of, period)))

    def pending(self, qs: QuerySet[Any], *, action: str) -> QuerySet[Any]:
        return qs

    def holds_personal_data(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.filter(email__isnull=False)

    def anchor_of(self, record: Any) -> dt.date | None:
        return legal_date(record.requested_at)

    def apply(self, ids: Sequence[int], *, action: str, now: dt.datetime) -> Applied:
        applied = Applied()
        applied.add(
            "consent.pendingsubscription",
            PendingSubscription.objects.filter(pk__in=ids).delete()[0],
        )
        return applied


@register
class CsvImports(RecordType):
    """An uploaded CSV file and its dry run: the file goes when applied (or discarded), the
    rest — the file if never applied — after the rule's period."""

    code = "consent.csv_import"
    label = _("CSV imports: the uploaded file, its dry run and result")
    model_label = "consent.CsvImport"
    anchors = {"import_uploaded": _("the day the file was uploaded")}
    actions = (DELETE,)
    # The file's people are not yet (or no longer only) the portal's: no hold applies to it.
    subject_path = None
    clears = _("The whole row: the encrypted file if still there, the dry run and the result.")

    def expired(self, qs: QuerySet[Any], *, period: Period, as_of: dt.date) -> QuerySet[Any]:
        return qs.filter(created_at__lt=start_of_legal_day(purge_cutoff(as_of, period)))

    def pending(self, qs: QuerySet[Any], *, action: str) -> QuerySet[Any]:
        # A running import finishes first; the next night takes it.
        return qs.exclude(status__in=["checking", "applying"])

    def holds_personal_data(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs

    def anchor_of(self, record: Any) -> dt.date | None:
        return legal_date(record.created_at)

    def apply(self, ids: Sequence[int], *, action: str, now: dt.datetime) -> Applied:
        applied = Applied()
        applied.add("consent.csvimport", CsvImport.objects.filter(pk__in=ids).delete()[0])
        return applied
