"""The record types of the subjects app, as the privacy policy defines their retention (G).

Each `expired` is the set-based form of `anchor + period < as_of`: it compares the anchor
columns with `purge_cutoff(as_of, period)`, which is exact (tests prove it against
`anchor_of` at 29 February and 31 December).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from core.timeutil import legal_date, start_of_legal_day
from retention.periods import Period, financial_year_end, financial_year_start, purge_cutoff
from retention.registry import ANONYMISE, DELETE, Applied, RecordType, register
from retention.services.anonymise import (
    anonymise_subject_rows,
    clear_subject_records,
    delete_set_based,
    delete_subject_rows,
    label_of,
    subjects_kept_for_claims,
)
from subjects.models import (
    PROSPECT_KINDS,
    PROSPECT_STATUSES,
    Claim,
    DataSubject,
    Demo,
    Invoice,
    OrganisationStatus,
    Trial,
    TrialContent,
)


class _PersonBundle(RecordType):
    """A person and their demos, communications and usage: cleared together."""

    model_label = "subjects.DataSubject"
    dependent_labels = ("subjects.Demo", "subjects.Communication", "subjects.UsageRecord")
    actions = (ANONYMISE, DELETE)
    subject_path = "pk"
    organisation_paths = ("organisation",)
    clears = _(
        "The person's names, date of birth, photo, work address, phone and e-mail (and its "
        "blind index), position, country and company link; demo notes; the subject line and "
        "body of communications; the person link and details of usage records. A person "
        "linked to a claim that is still kept keeps everything until the claim's rule ends."
    )

    def pending(self, qs: QuerySet[Any], *, action: str) -> QuerySet[Any]:
        # Everything of a person linked to a kept claim stays: the claim holds no copy of
        # its party's identity, and their messages may be its evidence (Art. 17(3)(e)).
        live_claim = Claim.objects.filter(subject=OuterRef("pk"), anonymised_at__isnull=True)
        return qs.filter(anonymised_at__isnull=True).filter(~Exists(live_claim))

    def apply(self, ids: Sequence[int], *, action: str, now: dt.datetime) -> Applied:
        applied = Applied()
        # Re-checked inside the batch's transaction: a claim may have arrived since.
        kept = subjects_kept_for_claims(ids)
        applied.kept_ids = sorted(kept)
        people = [pk for pk in ids if pk not in kept]
        clear_subject_records(people, action=action, applied=applied)
        if action == DELETE:
            delete_subject_rows(people, now=now, applied=applied)
        else:
            applied.add(label_of(DataSubject), anonymise_subject_rows(people, now=now))
        return applied


@register
class ProspectData(_PersonBundle):
    code = "subjects.prospect"
    label = _("Prospect data (trial, demo and marketing contacts)")
    anchors = {"prospect_latest": _("the latest of trial end, demo and collection")}
    max_period = Period(years=1)
    bound_reference = _("Privacy policy: prospect data is kept at most 1 year.")

    def applicable(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        # Only while the person is a prospect: a paying company ends this rule.
        return qs.filter(kind__in=PROSPECT_KINDS).filter(
            Q(organisation__isnull=True) | Q(organisation__status__in=PROSPECT_STATUSES)
        )

    def expired(self, qs: QuerySet[Any], *, period: Period, as_of: dt.date) -> QuerySet[Any]:
        cutoff = purge_cutoff(as_of, period)
        later_demo = Demo.objects.filter(subject=OuterRef("pk"), held_on__gte=cutoff)
        # A running trial (no end yet) blocks the rule as a trial ending after the cutoff.
        later_trial = Trial.objects.filter(organisation=OuterRef("organisation")).filter(
            Q(ended_on__isnull=True) | Q(ended_on__gte=cutoff)
        )
        return qs.filter(collected_at__lt=start_of_legal_day(cutoff)).filter(
            ~Exists(later_demo), ~Exists(later_trial)
        )

    def anchor_of(self, record: Any) -> dt.date | None:
        dates = [legal_date(record.collected_at)]
        dates += list(Demo.objects.filter(subject=record).values_list("held_on", flat=True))
        if record.organisation_id is not None:
            ends = list(
                Trial.objects.filter(organisation_id=record.organisation_id).values_list(
                    "ended_on", flat=True
                )
            )
            if None in ends:
                return None  # a running trial: no anchor until it ends
            dates += [end for end in ends if end is not None]
        return max(dates)


@register
class FormerClientData(_PersonBundle):
    code = "subjects.former_client"
    label = _("Former clients' other data (people, usage, communications)")
    anchors = {"contract_end": _("the day the contract ended")}
    bound_reference = _("The policy names no period: the DPO sets it.")

    def applicable(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        return qs.filter(
            organisation__status=OrganisationStatus.FORMER,
            organisation__contract_ended_on__isnull=False,
        )

    def expired(self, qs: QuerySet[Any], *, period: Period, as_of: dt.date) -> QuerySet[Any]:
        return qs.filter(organisation__contract_ended_on__lt=purge_cutoff(as_of, period))

    def anchor_of(self, record: Any) -> dt.date | None:
        organisation = record.organisation
        return organisation.contract_ended_on if organisation is not None else None


@register
class TrialContentData(RecordType):
    code = "subjects.trial_content"
    label = _("Trial content (personal data in it included)")
    model_label = "subjects.TrialContent"
    anchors = {"trial_end": _("the day the trial ended")}
    actions = (DELETE, ANONYMISE)
    subject_path = "author"
    organisation_paths = ("trial__organisation",)
    clears = _(
        "Delete: the content row goes. Anonymise: title, content and author link are cleared. "
        "Content of a converted trial is client content and is never touched."
    )

    def applicable(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        # A converted trial's content becomes client content and leaves this rule.
        return qs.filter(trial__converted_on__isnull=True, trial__ended_on__isnull=False)

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
        return qs.filter(Q(content__isnull=False) | Q(author__isnull=False) | ~Q(title=""))

    def period_for(self, record: Any, period: Period) -> Period:
        days = record.trial.retention_override_days
        return Period(days=days) if days is not None else period

    def anchor_of(self, record: Any) -> dt.date | None:
        return record.trial.ended_on  # type: ignore[no-any-return]

    def apply(self, ids: Sequence[int], *, action: str, now: dt.datetime) -> Applied:
        applied = Applied()
        if action == DELETE:
            applied.add(label_of(TrialContent), delete_set_based(TrialContent, {"pk__in": ids}))
        else:
            applied.add(
                label_of(TrialContent),
                TrialContent.objects.filter(pk__any_of=ids).update(
                    content=None, title="", author=None
                ),
            )
        return applied


@register
class InvoiceData(RecordType):
    code = "subjects.invoice"
    label = _("Invoice data (billing name, e-mail and address)")
    model_label = "subjects.Invoice"
    anchors = {"financial_year_end": _("the end of the financial year of the invoice date")}
    min_period = Period(years=7)
    bound_reference = _(
        "Estonian Accounting Act: invoices are kept at least 7 years after the financial year."
    )
    subject_path = "billing_contact"
    organisation_paths = ("organisation",)
    clears = _(
        "Billing name, e-mail and address and the billing contact link. Kept: number, date, "
        "amount, currency and company. An invoice stays while its company or contact has an "
        "open claim."
    )

    def applicable(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        # Data linked to an open claim stays: the invoice is the claim's evidence.
        open_claim = Claim.objects.filter(closed_on__isnull=True).filter(
            Q(organisation=OuterRef("organisation")) | Q(subject=OuterRef("billing_contact"))
        )
        return qs.filter(~Exists(open_claim))

    def expired(self, qs: QuerySet[Any], *, period: Period, as_of: dt.date) -> QuerySet[Any]:
        # financial_year_end(d) < c  ⇔  d < start of the financial year containing c.
        return qs.filter(issued_on__lt=financial_year_start(purge_cutoff(as_of, period)))

    def pending(self, qs: QuerySet[Any], *, action: str) -> QuerySet[Any]:
        return qs.filter(anonymised_at__isnull=True)

    def anchor_of(self, record: Any) -> dt.date | None:
        return financial_year_end(record.issued_on)

    def apply(self, ids: Sequence[int], *, action: str, now: dt.datetime) -> Applied:
        applied = Applied()
        applied.add(
            label_of(Invoice),
            Invoice.objects.filter(pk__any_of=ids, anonymised_at__isnull=True).update(
                billing_name=None,
                billing_email=None,
                billing_address=None,
                billing_contact=None,
                anonymised_at=now,
            ),
        )
        return applied


@register
class ClaimData(RecordType):
    code = "subjects.claim"
    label = _("Data linked to claims")
    model_label = "subjects.Claim"
    anchors = {"claim_fell_due": _("the day the claim fell due")}
    max_period = Period(years=10)
    bound_reference = _(
        "Privacy policy and the Estonian Civil Code: at most 10 years from the day the claim "
        "fell due (maximum limitation period for intentional breach)."
    )
    subject_path = "subject"
    organisation_paths = ("organisation",)
    clears = _(
        "Description and the person link. Kept: due and closing dates, amount, company. "
        "An open claim is never purged."
    )

    def applicable(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        return qs.filter(closed_on__isnull=False)

    def expired(self, qs: QuerySet[Any], *, period: Period, as_of: dt.date) -> QuerySet[Any]:
        return qs.filter(fell_due_on__lt=purge_cutoff(as_of, period))

    def pending(self, qs: QuerySet[Any], *, action: str) -> QuerySet[Any]:
        return qs.filter(anonymised_at__isnull=True)

    def anchor_of(self, record: Any) -> dt.date | None:
        return record.fell_due_on  # type: ignore[no-any-return]

    def apply(self, ids: Sequence[int], *, action: str, now: dt.datetime) -> Applied:
        applied = Applied()
        applied.add(
            label_of(Claim),
            Claim.objects.filter(pk__any_of=ids, anonymised_at__isnull=True).update(
                description=None, subject=None, anonymised_at=now
            ),
        )
        return applied


# The purge runs record types in this order: invoices and claims first, so that in one
# run a person released by an expired claim is anonymised by their own rule too.
PURGE_ORDER = [
    InvoiceData.code,
    ClaimData.code,
    TrialContentData.code,
    ProspectData.code,
    FormerClientData.code,
]
