"""This app's records as the retention engine sees them (DOMAIN.md G), declared through the
registry exactly as every other app declares its own (autodiscovered by `retention`).

Each `expired` is the set-based form of `anchor + period < as_of`: it compares the anchor
columns with `purge_cutoff(as_of, period)`, which is exact (tests prove it against
`anchor_of` at 29 February and 31 December). What each model loses is in
`subjects.anonymisation`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.timeutil import legal_date, start_of_legal_day
from retention.periods import Period, financial_year_end, financial_year_start, purge_cutoff
from retention.registry import ANONYMISE, DELETE, Applied, RecordType, register, registry
from retention.services.deletion import delete_set_based, label_of
from subjects.anonymisation import (
    CLAIM_CLEARED,
    INVOICE_CLEARED,
    TRIAL_CONTENT_CLEARED,
    erase_people,
)
from subjects.models import (
    PROSPECT_KINDS,
    PROSPECT_STATUSES,
    Claim,
    Communication,
    DataSubject,
    Demo,
    Invoice,
    KindChange,
    Organisation,
    OrganisationStatus,
    SubjectKind,
    Trial,
    TrialContent,
    UsageRecord,
    held_condition,
)

CLIENT_STATUSES = (OrganisationStatus.PAYING, OrganisationStatus.FORMER)


class PurgeHolds:
    """Who the nightly purge skips: people on legal hold (their own or their organisation's)
    and people whose processing is restricted — a restriction may be asked precisely so
    that data outlives its period (GDPR Art. 18(1)(b)-(c)). Erasure on request yields to a
    legal hold but not to a restriction (see `subjects.services.erasure`)."""

    def held_subjects(self, *, as_of: dt.date) -> QuerySet[Any]:
        return DataSubject.objects.held(as_of=as_of) | DataSubject.objects.restricted()

    def held_organisations(self, *, as_of: dt.date) -> QuerySet[Any]:
        return Organisation.objects.held(as_of=as_of)


registry.set_holds(PurgeHolds())


def live_claim_of_person() -> Exists:
    return Exists(Claim.objects.filter(subject=OuterRef("pk"), anonymised_at__isnull=True))


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

    def _held(self, *, as_of: dt.date) -> Q:
        # The person's own row: its columns are tested directly rather than through a
        # subquery over every person (measured: a subquery costs the purge ~30 %).
        return held_condition(as_of=as_of) | Q(restricted_at__isnull=False)

    def not_held(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        return qs.exclude(self._held(as_of=as_of))

    def held(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        return qs.filter(self._held(as_of=as_of))

    def governed(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        # Everything of a person linked to a kept claim stays under the claims' rule.
        return self.applicable(qs, as_of=as_of) | qs.filter(live_claim_of_person())

    def pending(self, qs: QuerySet[Any], *, action: str) -> QuerySet[Any]:
        # Everything of a person linked to a kept claim stays: the claim holds no copy of
        # its party's identity, and their messages may be its evidence (Art. 17(3)(e)).
        return qs.filter(anonymised_at__isnull=True).filter(~live_claim_of_person())

    def holds_personal_data(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.filter(anonymised_at__isnull=True)

    def apply(self, ids: Sequence[int], *, action: str, now: dt.datetime) -> Applied:
        applied = Applied()
        # Re-checked inside the batch's transaction: a claim may have arrived since.
        applied.kept_ids = erase_people(ids, action=action, now=now, applied=applied)
        return applied

    def describe(self, record: Any) -> str:
        return gettext("Person record, with their demos, messages and usage")

    def line_notes(self, records: Sequence[Any]) -> dict[Any, str]:
        ids = [r.pk for r in records]
        counts = (
            DataSubject.objects.filter(pk__in=ids)
            .annotate(
                n_demos=Count("demos", distinct=True),
                n_messages=Count("communications", distinct=True),
                n_usage=Count("usage_records", distinct=True),
            )
            .values_list("pk", "n_demos", "n_messages", "n_usage")
        )
        return {
            pk: gettext("%(demos)d demos, %(messages)d messages, %(usage)d usage records")
            % {"demos": demos, "messages": messages, "usage": usage}
            for pk, demos, messages, usage in counts
        }


@register
class ProspectData(_PersonBundle):
    code = "subjects.prospect"
    label = _("Prospect data (trial, demo and marketing contacts)")
    anchors = {"prospect_latest": _("the latest of trial end, demo and collection")}
    max_period = Period(years=1)
    bound_reference = _("Privacy policy: prospect data is kept at most 1 year.")
    purge_order = 40

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
        return self.anchors_of([record])[record.pk]

    def anchors_of(self, records: Sequence[Any]) -> dict[Any, dt.date | None]:
        running = Trial.objects.filter(organisation=OuterRef("organisation"), ended_on=None)
        rows = (
            DataSubject.objects.filter(pk__in=[r.pk for r in records])
            .annotate(
                last_demo=Max("demos__held_on"),
                last_trial_end=Max("organisation__trials__ended_on"),
                trial_running=Exists(running),
            )
            .values_list("pk", "collected_at", "last_demo", "last_trial_end", "trial_running")
        )
        anchors: dict[Any, dt.date | None] = {}
        for pk, collected_at, last_demo, last_trial_end, trial_running in rows:
            if trial_running:
                anchors[pk] = None  # a running trial: no anchor until it ends
                continue
            dates = [legal_date(collected_at), last_demo, last_trial_end]
            anchors[pk] = max(d for d in dates if d is not None)
        return anchors


@register
class FormerClientData(_PersonBundle):
    code = "subjects.former_client"
    label = _("Former clients' other data (people, usage, communications)")
    anchors = {"contract_end": _("the day the contract ended")}
    bound_reference = _("The policy names no period: the DPO sets it.")
    purge_order = 50

    def applicable(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        return qs.filter(
            organisation__status=OrganisationStatus.FORMER,
            organisation__contract_ended_on__isnull=False,
        )

    def governed(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        # A paying client's people wait for the contract to end: the contract is their
        # purpose (Art. 6(1)(b)), and this rule takes over from its last day.
        return super().governed(qs, as_of=as_of) | qs.filter(
            organisation__status__in=CLIENT_STATUSES
        )

    def anchor_missing(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.filter(
            organisation__status=OrganisationStatus.FORMER,
            organisation__contract_ended_on__isnull=True,
        )

    def expired(self, qs: QuerySet[Any], *, period: Period, as_of: dt.date) -> QuerySet[Any]:
        return qs.filter(organisation__contract_ended_on__lt=purge_cutoff(as_of, period))

    def anchor_of(self, record: Any) -> dt.date | None:
        organisation = record.organisation
        return organisation.contract_ended_on if organisation is not None else None


@register
class FormerUserData(_PersonBundle):
    """People of kind *other* with no client behind them — above all former users ("esat
    lietojis"): the policy names no period, so the DPO must set one."""

    code = "subjects.former_user"
    label = _("Former users and other people without a client relationship")
    anchors = {
        "last_activity": _(
            "the person's last activity: collection, change of kind, message or use of the platform"
        )
    }
    bound_reference = _("The policy names no period: the DPO sets it.")
    purge_order = 60

    def applicable(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        return qs.filter(kind=SubjectKind.OTHER).filter(
            Q(organisation__isnull=True) | Q(organisation__status__in=PROSPECT_STATUSES)
        )

    def expired(self, qs: QuerySet[Any], *, period: Period, as_of: dt.date) -> QuerySet[Any]:
        cutoff = purge_cutoff(as_of, period)
        since = start_of_legal_day(cutoff)
        later = (
            KindChange.objects.filter(subject=OuterRef("pk"), changed_on__gte=cutoff),
            Communication.objects.filter(subject=OuterRef("pk"), sent_at__gte=since),
            UsageRecord.objects.filter(subject=OuterRef("pk"), occurred_at__gte=since),
        )
        return qs.filter(collected_at__lt=since).filter(*(~Exists(rows) for rows in later))

    def anchor_of(self, record: Any) -> dt.date | None:
        return self.anchors_of([record])[record.pk]

    def anchors_of(self, records: Sequence[Any]) -> dict[Any, dt.date | None]:
        rows = (
            DataSubject.objects.filter(pk__in=[r.pk for r in records])
            .annotate(
                last_change=Max("kind_history__changed_on"),
                last_message=Max("communications__sent_at"),
                last_use=Max("usage_records__occurred_at"),
            )
            .values_list("pk", "collected_at", "last_change", "last_message", "last_use")
        )
        anchors: dict[Any, dt.date | None] = {}
        for pk, collected_at, last_change, last_message, last_use in rows:
            dates = [legal_date(collected_at), last_change]
            dates += [legal_date(moment) for moment in (last_message, last_use) if moment]
            anchors[pk] = max(d for d in dates if d is not None)
        return anchors


@register
class TrialContentData(RecordType):
    code = "subjects.trial_content"
    label = _("Trial content (personal data in it included)")
    model_label = "subjects.TrialContent"
    anchors = {"trial_end": _("the day the trial ended")}
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

    def governed(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        # A running trial's content waits for the trial's end; a converted trial's content
        # is the client's, who is its controller (DOMAIN.md A) and decides how long it stays.
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
        return qs.filter(Q(content__isnull=False) | Q(author__isnull=False) | ~Q(title=""))

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
            cleared = TrialContent.objects.filter(pk__any_of=ids).update(**TRIAL_CONTENT_CLEARED)
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
    label = _("Invoice data (billing name, e-mail and address)")
    model_label = "subjects.Invoice"
    anchors = {"financial_year_end": _("the end of the financial year of the invoice date")}
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
        cleared = Invoice.objects.filter(pk__any_of=ids, anonymised_at__isnull=True).update(
            anonymised_at=now, **INVOICE_CLEARED
        )
        applied.add(label_of(Invoice), cleared)
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
    # Before the people: a person released by an expired claim is cleared by their own
    # rule in the same run.
    purge_order = 20
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
        cleared = Claim.objects.filter(pk__any_of=ids, anonymised_at__isnull=True).update(
            anonymised_at=now, **CLAIM_CLEARED
        )
        applied.add(label_of(Claim), cleared)
        return applied
