"""People as the retention engine sees them: a person with their demos, messages and usage,
under the prospect, former-client and former-user rules, and who is held."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.expressions import RowCount
from core.timeutil import legal_date, start_of_legal_day
from retention.periods import Period, purge_cutoff
from retention.registry import ANONYMISE, DEFER, DELETE, Applied, RecordType, register, registry
from subjects.anonymisation import claim_unneeded_left, erase_people, mark_erasure_requested
from subjects.models import (
    PROSPECT_KINDS,
    PROSPECT_STATUSES,
    Claim,
    Communication,
    DataSubject,
    Demo,
    KindChange,
    Organisation,
    OrganisationStatus,
    SubjectKind,
    Trial,
    UsageRecord,
    held_condition,
    restricted_condition,
)

CLIENT_STATUSES = (OrganisationStatus.PAYING, OrganisationStatus.FORMER)


class PurgeHolds:
    """Who the nightly purge skips: people on legal hold (their own or their organisation's)
    and people whose processing is restricted — a restriction may be asked precisely so
    that data outlives its period (GDPR Art. 18(1)(b)-(c)) — unless the rule's period is a
    legal end (`RecordType.has_legal_end`). Erasure on request yields to a legal hold but not
    to a restriction (see `subjects.services.erasure`)."""

    # A hold standing when the purge runs stops it, whatever day it purges as of: a run
    # `--as-of` an earlier day (a missed night made up) must not destroy what a hold set
    # since then protects. So the purge asks for every hold in place (`as_of=None`).

    def held_subjects(self, *, as_of: dt.date, restricted: bool = True) -> QuerySet[Any]:
        held = DataSubject.objects.held(as_of=None)
        return held | DataSubject.objects.restricted() if restricted else held

    def held_organisations(self, *, as_of: dt.date) -> QuerySet[Any]:
        return Organisation.objects.held(as_of=None)


registry.set_holds(PurgeHolds())
registry.exempt(
    "subjects.Organisation",
    _(
        "Client companies: their only personal text is a legal hold's reason, kept while the "
        "hold stands (lifting it clears the reason)."
    ),
)


def no_client_behind() -> Q:
    """People with no organisation, or one that is still a prospect (`PROSPECT_STATUSES`).

    Asked as "no organisation of theirs beyond a prospect", an anti-join, rather than through
    a join to every person's organisation: the purge's batch of 20 000 is selected in ~32 ms
    instead of ~52 ms (bench/purge.py, 100 000 prospects, no clients). With half the
    organisations paying clients PostgreSQL probes each person's organisation by its key, as
    the join did."""
    beyond = Organisation.objects.filter(pk=OuterRef("organisation")).exclude(
        status__in=PROSPECT_STATUSES
    )
    return ~Q(Exists(beyond))


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
        "linked to a claim that is still kept loses only the date of birth, photo, position, "
        "demo notes and usage records; names, work contact, company link and messages stay "
        "until the claim's rule ends."
    )

    def _held(self, *, as_of: dt.date) -> Q:
        # The person's own row: its columns are tested directly rather than through a
        # subquery over every person (measured: a subquery costs the purge ~30 %).
        # Every hold in place when the purge runs (see `PurgeHolds`).
        if self.has_legal_end:
            return held_condition(as_of=None)
        return held_condition(as_of=None) | restricted_condition()

    def not_held(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        return qs.exclude(self._held(as_of=as_of))

    def held(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        return qs.filter(self._held(as_of=as_of))

    def governed(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        # Everything of a person linked to a kept claim stays under the claims' rule.
        return self.applicable(qs, as_of=as_of) | qs.filter(live_claim_of_person())

    def pending(self, qs: QuerySet[Any], *, action: str) -> QuerySet[Any]:
        # What a kept claim needs of its party stays: the claim holds no copy of their
        # identity, and their messages may be its evidence (Art. 17(3)(e)). Such a person is
        # pending only while they hold something the claim does not need (Art. 5(1)(c)).
        return qs.filter(anonymised_at__isnull=True).filter(
            ~live_claim_of_person() | claim_unneeded_left(action=action)
        )

    def holds_personal_data(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.filter(anonymised_at__isnull=True)

    def apply(self, ids: Sequence[int], *, action: str, now: dt.datetime) -> Applied:
        applied = Applied()
        # Re-checked inside the batch's transaction: a claim may have arrived since.
        applied.kept_ids = erase_people(
            ids, action=action, now=now, applied=applied, cause=self.code
        )
        return applied

    def describe(self, record: Any) -> str:
        return gettext("Person record, with their demos, messages and usage")

    def line_notes(self, records: Sequence[Any]) -> dict[Any, str]:
        # One query, a counting subquery per kind of record and person, each on its
        # (subject, …) index: a join of the three tables multiplied them (2 000 × 2 000 rows
        # for a busy person), and a grouped count per table cost three queries.
        ids = [r.pk for r in records]
        counts: dict[str, dict[Any, int]] = {"demos": {}, "messages": {}, "usage": {}}
        rows = (
            DataSubject.objects.filter(pk__in=ids)
            .annotate(
                demo_count=RowCount(Demo.objects.filter(subject=OuterRef("pk"))),
                message_count=RowCount(Communication.objects.filter(subject=OuterRef("pk"))),
                usage_count=RowCount(UsageRecord.objects.filter(subject=OuterRef("pk"))),
            )
            .values_list("pk", "demo_count", "message_count", "usage_count")
        )
        for pk, *numbers in rows:
            for name, number in zip(("demos", "messages", "usage"), numbers, strict=True):
                counts[name][pk] = number
        return {
            pk: gettext("%(demos)d demos, %(messages)d messages, %(usage)d usage records")
            % {name: counts[name].get(pk, 0) for name in ("demos", "messages", "usage")}
            for pk in ids
        }


@register
class ProspectData(_PersonBundle):
    code = "subjects.prospect"
    person_kinds = frozenset(PROSPECT_KINDS)
    label = _("Prospect data (trial, demo and marketing contacts)")
    anchors = {"prospect_latest": _("the latest of trial end, demo and collection")}
    max_period = Period(years=1)
    bound_reference = _("Privacy policy: prospect data is kept at most 1 year.")
    purge_order = 40

    def applicable(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        # Only while the person is a prospect: a paying company ends this rule.
        return qs.filter(kind__in=PROSPECT_KINDS).filter(no_client_behind())

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
    person_kinds = frozenset(SubjectKind.values)
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
    person_kinds = frozenset({SubjectKind.OTHER})
    label = _("Former users and other people without a client relationship")
    anchors = {
        "last_activity": _(
            "the person's last activity: collection, change of kind, message or use of the platform"
        )
    }
    bound_reference = _("The policy names no period: the DPO sets it.")
    purge_order = 60

    def applicable(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        return qs.filter(kind=SubjectKind.OTHER).filter(no_client_behind())

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
class ErasureRequestedData(_PersonBundle):
    """People who asked for erasure (Art. 17) but whom a kept claim still held: erased by the
    first purge after nothing keeps them any more."""

    code = "subjects.erasure_requested"
    label = _("People who asked for erasure, kept only for a claim")
    anchors = {"erasure_requested": _("the day the person asked for erasure")}
    bound_reference = _("GDPR Art. 17(1): erased without undue delay once no claim needs it.")
    max_period = Period(days=1)
    purge_order = 30

    def applicable(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        return qs.filter(erasure_requested_at__isnull=False)

    def expired(self, qs: QuerySet[Any], *, period: Period, as_of: dt.date) -> QuerySet[Any]:
        return qs.filter(erasure_requested_at__lt=start_of_legal_day(purge_cutoff(as_of, period)))

    def anchor_of(self, record: Any) -> dt.date | None:
        requested: dt.datetime | None = record.erasure_requested_at
        return legal_date(requested) if requested else None

    def redo(self, ids: Sequence[int], *, action: str, now: dt.datetime) -> Applied:
        # Erasure on request is recorded under this type (`subjects.services.erasure`): the
        # request comes back first, so people a claim or (DEFER) a hold still keeps leave use
        # again and a later purge finishes them; then those free are erased again.
        applied = Applied()
        applied.add("subjects.datasubject:erasure_requested", mark_erasure_requested(ids, now=now))
        if action != DEFER:
            applied.merge(super().redo(ids, action=action, now=now))
        return applied
