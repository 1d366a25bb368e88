"""What the ledger means, in one place: a person's state at a moment, and who may be marketed.

`consent_state` answers for one person; `marketable_filter` answers the same question
set-based (the audience, the marketing API and the one door for marketing e-mail ask it). Both
read events by `occurred_at` (when the person acted), not `recorded_at`, so a withdrawal logged
today for an e-mail that came yesterday takes effect from yesterday, and nothing earlier changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consent.models import (
    ConsentEvent,
    EventKind,
    ObjectionReview,
    PolicyVersion,
    ReviewStatus,
    SuppressionEntry,
)
from core.timeutil import legal_date
from subjects.models import in_use_condition, restricted_condition

if TYPE_CHECKING:
    from processing.models import Purpose
    from subjects.models import DataSubject


# Ledger order: when the person acted, then when we heard, then insertion.
LEDGER_ORDER = ("-occurred_at", "-recorded_at", "-id")


@dataclass(frozen=True)
class ConsentState:
    purpose: Any
    status: str  # "granted", "withdrawn", "objected", "objection_pending", "none"
    permitted: bool
    since: dt.datetime | None = None
    last_event: ConsentEvent | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self.status])


STATUS_LABELS = {
    "granted": _("Consent given"),
    "withdrawn": _("Consent withdrawn"),
    "never": _("No consent"),
    "objected": _("Objected"),
    "objection_pending": _("Objection awaiting the DPO's decision"),
    "not_objected": _("No objection"),
    "expired": _("Consent must be given again (policy change)"),
}


def fresh_consent_cutoff(purpose: Purpose, *, at: dt.datetime) -> dt.datetime | None:
    """A version adding a consent-based purpose voids earlier grants for it.

    Grants recorded before that version was published do not carry over; grants given after
    publication (with the new wording) do.
    """
    version = (
        PolicyVersion.objects.filter(
            new_consent_purposes=purpose, effective_on__lte=legal_date(at), published_at__lte=at
        )
        .order_by("-effective_on", "-published_at")
        .first()
    )
    return version.published_at if version else None


def _objections(purpose: Purpose, *, at: dt.datetime) -> QuerySet[ConsentEvent]:
    """Objections in effect at `at`: an Art. 21(1) objection the DPO rejected no longer counts."""
    rejected = ObjectionReview.objects.filter(event=OuterRef("pk"), status=ReviewStatus.REJECTED)
    return ConsentEvent.objects.filter(
        purpose=purpose, kind=EventKind.OBJECTED, occurred_at__lte=at
    ).exclude(Exists(rejected))


def consent_state(
    subject: DataSubject, purpose: Purpose, at: dt.datetime | None = None
) -> ConsentState:
    at = at or timezone.now()
    if purpose.is_consent_based:
        last = (
            ConsentEvent.objects.filter(subject=subject, purpose=purpose, occurred_at__lte=at)
            .order_by(*LEDGER_ORDER)
            .first()
        )
        if last is None:
            return ConsentState(purpose, "never", False)
        if last.kind != EventKind.GRANTED:
            return ConsentState(purpose, "withdrawn", False, last.occurred_at, last)
        cutoff = fresh_consent_cutoff(purpose, at=at)
        if cutoff is not None and last.occurred_at < cutoff:
            return ConsentState(purpose, "expired", False, cutoff, last)
        return ConsentState(purpose, "granted", True, last.occurred_at, last)

    objection = (
        _objections(purpose, at=at)
        .filter(subject=subject)
        .select_related("objection_review")
        .order_by("occurred_at", "id")
        .first()
    )
    if objection is None:
        return ConsentState(purpose, "not_objected", True)
    review = getattr(objection, "objection_review", None)
    if review is not None and review.status == ReviewStatus.OPEN:
        # Art. 18(1)(d): processing is restricted while the DPO weighs the objection.
        return ConsentState(purpose, "objection_pending", False, objection.occurred_at, objection)
    return ConsentState(purpose, "objected", False, objection.occurred_at, objection)


def consent_states(
    subject: DataSubject, purposes: Iterable[Purpose], at: dt.datetime | None = None
) -> list[ConsentState]:
    at = at or timezone.now()
    return [consent_state(subject, purpose, at) for purpose in purposes]


def suppressed_filter(at: dt.datetime | None = None) -> Exists:
    entries = SuppressionEntry.objects.filter(email_index=OuterRef("work_email_index"))
    if at is not None:
        entries = entries.filter(suppressed_on__lte=legal_date(at))
    return Exists(entries)


def marketable_filter(
    queryset: QuerySet[DataSubject], *, purpose: Purpose, at: dt.datetime | None = None
) -> QuerySet[DataSubject]:
    """Those of `queryset` who may receive `purpose`'s messages at `at`.

    Everyone: of a kind the purpose covers (the register's one rule), not restricted
    (Art. 18), not anonymised, not suppressed, with an e-mail. Consent purposes: the latest
    grant/withdrawal/objection before `at` is a grant (and not voided by a policy version
    asking for fresh consent). Legitimate-interest purposes: no objection (Art. 21(2) is
    absolute).
    """
    at = at or timezone.now()
    people = (
        queryset.filter(in_use_condition())
        .exclude(restricted_condition())
        .exclude(work_email_index__isnull=True)
        .exclude(work_email_index="")
        .exclude(suppressed_filter(at))
    )
    if purpose.subject_kinds:
        people = people.filter(kind__in=purpose.subject_kinds)
    if purpose.is_consent_based:
        latest = ConsentEvent.objects.filter(
            subject=OuterRef("pk"), purpose=purpose, occurred_at__lte=at
        ).order_by(*LEDGER_ORDER)
        people = people.annotate(
            _consent_kind=Subquery(latest.values("kind")[:1]),
            _consent_at=Subquery(latest.values("occurred_at")[:1]),
        ).filter(_consent_kind=EventKind.GRANTED)
        cutoff = fresh_consent_cutoff(purpose, at=at)
        if cutoff is not None:
            people = people.filter(_consent_at__gte=cutoff)
        return people
    objected = _objections(purpose, at=at).filter(subject=OuterRef("pk"))
    return people.exclude(Exists(objected))


def is_suppressed(email: str | None) -> bool:
    from core.crypto import blind_index

    index = blind_index(email)
    return bool(index) and SuppressionEntry.objects.filter(email_index=index).exists()


def ledger_events(
    *,
    purpose: Any = None,
    kind: str = "",
    channel: str = "",
    occurred_from: dt.date | None = None,
    occurred_to: dt.date | None = None,
) -> QuerySet[ConsentEvent]:
    from consent.models import ConsentEvidence
    from core.timeutil import end_of_legal_day, start_of_legal_day

    events = with_downloadable_evidence(
        ConsentEvent.objects.select_related("purpose", "actor", "policy_version", "subject")
    ).annotate(has_evidence=Exists(ConsentEvidence.objects.filter(event=OuterRef("pk"))))
    if purpose:
        events = events.filter(purpose=purpose)
    if kind:
        events = events.filter(kind=kind)
    if channel:
        events = events.filter(channel=channel)
    if occurred_from:
        events = events.filter(occurred_at__gte=start_of_legal_day(occurred_from))
    if occurred_to:
        events = events.filter(occurred_at__lte=end_of_legal_day(occurred_to))
    return events.order_by(*LEDGER_ORDER)


def with_downloadable_evidence(events: QuerySet[ConsentEvent]) -> QuerySet[ConsentEvent]:
    """Annotate `downloadable_evidence_id`: the evidence whose file can still be downloaded.

    A subquery rather than `select_related("evidence")`: the join would load and decrypt every
    file of the page just to learn whether there is one. Purged evidence has no file left.
    """
    from consent.models import ConsentEvidence

    downloadable = ConsentEvidence.objects.filter(
        event=OuterRef("pk"), file__isnull=False, purged_at__isnull=True
    ).values("pk")[:1]
    return events.annotate(downloadable_evidence_id=Subquery(downloadable))


def timeline_for(subject: DataSubject) -> QuerySet[ConsentEvent]:
    return with_downloadable_evidence(
        ConsentEvent.objects.filter(subject=subject)
        .select_related("purpose", "actor", "policy_version", "objection_review")
        .order_by(*LEDGER_ORDER)
    )


def suppressed_subjects() -> QuerySet[Any]:
    """People stored although their address is suppressed (the DPO chose "flag")."""
    from subjects.models import DataSubject

    return DataSubject.objects.active().filter(suppressed_filter())
