"""Records of people as the retention engine sees them: trial content, invoices and claims
(under the privacy policy's retention periods)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from retention.lookups import IdArray
from retention.periods import Period, financial_year_end, financial_year_start, purge_cutoff
from retention.registry import ANONYMISE, DELETE, Applied, RecordType, register
from retention.services.deletion import delete_set_based, label_of
from subjects.anonymisation import (
    CLAIM_CLEARED,
    INVOICE_CLEARED,
    TRIAL_CONTENT_CLEARED,
)
from subjects.models import (
    Claim,
    Invoice,
    Trial,
    TrialContent,
)


@register
class TrialContentData(RecordType):
    code = "subjects.trial_content"
    kept_on_erasure = pgettext_lazy(
        "data subject",
        "Content written in your company's trial account belongs to your company; it goes "
        "with the trial's content under its own rule.",
    )
    label = _("Trial content (personal data in it included)")
    model_label = "subjects.TrialContent"
    anchors = {"trial_end": pgettext_lazy("data subject", "the day the trial ended")}
    actions = (DELETE, ANONYMISE)
    subject_path = "author"
    organisation_paths = ("trial__organisation",)
    purge_order = 30
    clears = _(
        "Delete: the content row goes. Anonymise: title, content and author link are cleared. "
        "Content of a converted trial is client content and is never touched."
    )

    def applicable(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        # A converted trial's content becomes client content and leaves this rule.
        return qs.filter(trial__converted_on__isnull=True, trial__ended_on__isnull=False)

    def awaiting(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        return qs.filter(trial__converted_on__isnull=True, trial__ended_on__isnull=True)

    def governed(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        # A running trial's content waits for the trial's end; a converted trial's content
        # is the client's, who is its controller and decides how long it stays.
        return qs

    def expired(self, qs: QuerySet[Any], *, period: Period, as_of: dt.date) -> QuerySet[Any]:
        condition = Q(
            trial__retention_override_days__isnull=True,
            trial__ended_on__lt=purge_cutoff(as_of, period),
        )
        # "Unless agreed otherwise": each distinct override is its own period.
        overrides = (
            Trial.objects.filter(retention_override_days__isnull=False)
            .values_list("retention_override_days", flat=True)
            .distinct()
        )
        for days in overrides:
            if days is None:
                continue
            condition |= Q(
                trial__retention_override_days=days,
                trial__ended_on__lt=purge_cutoff(as_of, Period(days=days)),
            )
        return qs.filter(condition)

    def pending(self, qs: QuerySet[Any], *, action: str) -> QuerySet[Any]:
        if action == DELETE:
            return qs
        return qs.filter(
            Q(content__isnull=False) | Q(author__isnull=False) | Q(title__isnull=False)
        )

    def period_for(self, record: Any, period: Period) -> Period:
        days = record.trial.retention_override_days
        return Period(days=days) if days is not None else period

    def anchor_of(self, record: Any) -> dt.date | None:
        ended_on: dt.date | None = record.trial.ended_on
        return ended_on

    def records_of_subject(self, subject_id: int) -> QuerySet[Any]:
        return TrialContent.objects.filter(author=subject_id).select_related("trial")

    def describe(self, record: Any) -> str:
        return gettext("Trial content “%(title)s”") % {"title": record.title or record.pk}

    def line_notes(self, records: Sequence[Any]) -> dict[Any, str]:
        converted = gettext("Converted trial: client content, outside this rule")
        return {r.pk: converted for r in records if r.trial.converted_on}

    def apply(self, ids: Sequence[int], *, action: str, now: dt.datetime) -> Applied:
        applied = Applied()
        if action == DELETE:
            applied.add(label_of(TrialContent), delete_set_based(TrialContent, {"pk__in": ids}))
        else:
            cleared = TrialContent.objects.filter(pk__any_of=IdArray(ids)).update(
                **TRIAL_CONTENT_CLEARED
            )
            applied.add(label_of(TrialContent), cleared)
        return applied


def open_claim_against(*, organisation: Any, person: Any) -> Exists:
    """An open claim still kept, against the company or the person: its evidence stays."""
    return Exists(
        Claim.objects.filter(closed_on__isnull=True, anonymised_at__isnull=True).filter(
            Q(organisation=organisation) | Q(subject=person)
        )
    )


@register
class InvoiceData(RecordType):
    code = "subjects.invoice"
    kept_on_erasure = pgettext_lazy(
        "data subject",
        "Billing details on invoices: the Estonian Accounting Act requires us to keep invoices "
        "for 7 years after the end of their financial year.",
    )
    label = _("Invoice data (billing name, e-mail and address)")
    waiting_for = pgettext_lazy("data subject", "while a claim it is evidence for is open")
    model_label = "subjects.Invoice"
    anchors = {
        "financial_year_end": pgettext_lazy(
            "data subject", "the end of the financial year of the invoice date"
        )
    }
    min_period = Period(years=7)
    bound_reference = _(
        "Estonian Accounting Act: invoices are kept at least 7 years after the financial year."
    )
    subject_path = "billing_contact"
    organisation_paths = ("organisation",)
    purge_order = 10
    clears = _(
        "Billing name, e-mail and address and the billing contact link. Kept: number, date, "
        "amount, currency and company. An invoice stays while its company or contact has an "
        "open claim."
    )

    def applicable(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        # Data linked to an open claim stays: the invoice is the claim's evidence.
        return qs.filter(
            ~open_claim_against(
                organisation=OuterRef("organisation"), person=OuterRef("billing_contact")
            )
        )

    def governed(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        return qs  # an invoice kept for an open claim is still an invoice of this rule

    def awaiting(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        return qs.filter(
            open_claim_against(
                organisation=OuterRef("organisation"), person=OuterRef("billing_contact")
            )
        )

    def expired(self, qs: QuerySet[Any], *, period: Period, as_of: dt.date) -> QuerySet[Any]:
        # financial_year_end(d) < c  ⇔  d < start of the financial year containing c.
        return qs.filter(issued_on__lt=financial_year_start(purge_cutoff(as_of, period)))

    def pending(self, qs: QuerySet[Any], *, action: str) -> QuerySet[Any]:
        return qs.filter(anonymised_at__isnull=True)

    def anchor_of(self, record: Any) -> dt.date | None:
        return financial_year_end(record.issued_on)

    def describe(self, record: Any) -> str:
        return gettext("Invoice %(number)s") % {"number": record.number}

    def apply(self, ids: Sequence[int], *, action: str, now: dt.datetime) -> Applied:
        applied = Applied()
        cleared = Invoice.objects.filter(
            pk__any_of=IdArray(ids), anonymised_at__isnull=True
        ).update(anonymised_at=now, **INVOICE_CLEARED)
        applied.add(label_of(Invoice), cleared)
        return applied


@register
class ClaimData(RecordType):
    code = "subjects.claim"
    kept_on_erasure = pgettext_lazy(
        "data subject",
        "Data needed to establish, exercise or defend a legal claim (GDPR Art. 17(3)(e)); a "
        "claim is kept at most 10 years after it fell due.",
    )
    label = _("Data linked to claims")
    model_label = "subjects.Claim"
    anchors = {"claim_fell_due": pgettext_lazy("data subject", "the day the claim fell due")}
    max_period = Period(years=10)
    bound_reference = _(
        "Privacy policy and the Estonian Civil Code: at most 10 years from the day the claim "
        "fell due (maximum limitation period for intentional breach)."
    )
    subject_path = "subject"
    organisation_paths = ("organisation",)
    # Before the people: a person released by an expired claim is cleared by their own
    # rule in the same run.
    purge_order = 20
    # Estonian Civil Code § 146(4): no claim survives 10 years, so no restriction for one can.
    has_legal_end = True
    clears = _(
        "Description and the person link. Kept: due and closing dates, amount, company. "
        "Closed or not, a claim goes 10 years after it fell due; live litigation beyond "
        "that is kept only by a legal hold with its reason and review date."
    )

    # Estonian Civil Code (General Part) § 146(4): at most 10 years from the day the claim
    # fell due, whether or not it was closed — so `applicable` is every claim.

    def expired(self, qs: QuerySet[Any], *, period: Period, as_of: dt.date) -> QuerySet[Any]:
        return qs.filter(fell_due_on__lt=purge_cutoff(as_of, period))

    def pending(self, qs: QuerySet[Any], *, action: str) -> QuerySet[Any]:
        return qs.filter(anonymised_at__isnull=True)

    def anchor_of(self, record: Any) -> dt.date | None:
        fell_due_on: dt.date = record.fell_due_on
        return fell_due_on

    def describe(self, record: Any) -> str:
        return gettext("Claim due %(day)s") % {"day": record.fell_due_on.isoformat()}

    def line_notes(self, records: Sequence[Any]) -> dict[Any, str]:
        open_claim = gettext("Open claim: kept, with the person's identity")
        return {r.pk: open_claim for r in records if r.closed_on is None}

    def apply(self, ids: Sequence[int], *, action: str, now: dt.datetime) -> Applied:
        applied = Applied()
        cleared = Claim.objects.filter(pk__any_of=IdArray(ids), anonymised_at__isnull=True).update(
            anonymised_at=now, **CLAIM_CLEARED
        )
        applied.add(label_of(Claim), cleared)
        return applied
