"""Requests' own retention, declared to the retention engine.

Three years after a request is closed its requester's identifiers and words are removed:
name, e-mail (and its blind index), the request's text, the agent's name and proof, the
company a portability package was to go to (GDPR Art. 20(2)) and its address, the identity
check, the reasons written to the requester, the links to matched subjects, and the
text and files of every note, message and document. Reference, right, channel, status
(the outcome), dates, paused days and assignee stay, so the register of requests still
accounts for every request (GDPR Art. 5(2)).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.timeutil import legal_date, start_of_legal_day
from retention.periods import Period, purge_cutoff
from retention.registry import ANONYMISE, Applied, RecordType, register, registry
from subject_requests.models import (
    Answer,
    RightAction,
    SubjectRequest,
    SystemTask,
    TimelineEntry,
)


@register
class ClosedRequests(RecordType):
    code = "subject_requests.request"
    kept_on_erasure = pgettext_lazy(
        "data subject",
        "The record of your requests and of our answers, which shows that we answered them "
        "(GDPR Art. 5(2)).",
    )
    label = _("Data-subject requests (closed)")
    model_label = "subject_requests.SubjectRequest"
    dependent_labels = (
        "subject_requests.TimelineEntry",
        "subject_requests.RightAction",
        "subject_requests.SystemTask",
    )
    anchors = {"request_closed": pgettext_lazy("data subject", "the day the request was closed")}
    actions = (ANONYMISE,)
    # Requests reach subjects through a many-to-many link, which the engine's per-row
    # `subject_path` cannot express; holds are applied by `not_held` and `held` below.
    subject_path = None
    clears = _(
        "The requester's name, e-mail and blind index, the request's words, the agent's name "
        "and authorisation, the company a portability package was to go to and its address, "
        "the identity check, the reasons written to the requester, the "
        "links to matched subjects, the text and files of notes, messages and documents, and "
        "the details of what was done to the person's data (a rectification's before and "
        "after) and what the systems outside the portal were sent and answered. "
        "Reference, right, channel, outcome, dates, paused days and assignee are kept."
    )

    def applicable(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        return qs.filter(closed_at__isnull=False)

    def governed(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        return qs  # an open request waits for its anchor, the day it is closed

    def awaiting(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        return qs.filter(closed_at__isnull=True)

    def not_held(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        return qs.exclude(subjects__in=registry.holds.held_subjects(as_of=as_of))

    def held(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        return qs.filter(subjects__in=registry.holds.held_subjects(as_of=as_of)).distinct()

    def expired(self, qs: QuerySet[Any], *, period: Period, as_of: dt.date) -> QuerySet[Any]:
        # anchor + period < as_of  ⇔  anchor < cutoff, with the anchor the legal closing day.
        return qs.filter(closed_at__lt=start_of_legal_day(purge_cutoff(as_of, period)))

    def pending(self, qs: QuerySet[Any], *, action: str) -> QuerySet[Any]:
        return qs.filter(anonymised_at__isnull=True)

    def anchor_of(self, record: Any) -> dt.date | None:
        return legal_date(record.closed_at) if record.closed_at else None

    def records_of_subject(self, subject_id: int) -> QuerySet[Any]:
        return SubjectRequest.objects.filter(subjects=subject_id)

    def apply(self, ids: Sequence[int], *, action: str, now: dt.datetime) -> Applied:
        applied = Applied()
        links = SubjectRequest.subjects.through.objects.filter(subjectrequest_id__in=ids)
        applied.add("subject_requests.subjectrequest_subjects", links.delete()[0])
        applied.add(
            "subject_requests.timelineentry",
            TimelineEntry.objects.filter(request_id__in=ids).update(
                body=None, document=None, document_name=None
            ),
        )
        applied.add(
            "subject_requests.rightaction",
            RightAction.objects.filter(request_id__in=ids, details__isnull=False).update(
                details=None, note=None
            ),
        )
        applied.add(
            "subject_requests.systemtask",
            SystemTask.objects.filter(request_id__in=ids)
            .filter(Q(payload__isnull=False) | Q(evidence__isnull=False))
            .update(payload=None, evidence=None),
        )
        applied.add(
            "subject_requests.subjectrequest",
            SubjectRequest.objects.filter(pk__in=ids, anonymised_at__isnull=True).update(
                requester_name=None,
                requester_email=None,
                description=None,
                agent_name=None,
                agent_proof=None,
                agent_proof_name=None,
                receiver_name=None,
                receiver_email=None,
                transmission_reason="",
                receiver_nonce="",
                verification_note=None,
                verification_nonce="",
                closure_reason="",
                refused_part="",
                systems_override="",
                extension_reason="",
                anonymised_at=now,
            ),
        )
        return applied


@register
class AnswerDocuments(RecordType):
    """A report or package is a copy of the person's data: it is kept while they may still
    download it, then only its hash, dates and size stay (proof of what was sent)."""

    code = "subject_requests.answer"
    kept_on_erasure = pgettext_lazy(
        "data subject",
        "Documents we sent you in answer to a request, kept while you may still download them.",
    )
    label = _("Answer documents (reports, packages, letters)")
    model_label = "subject_requests.Answer"
    anchors = {"request_closed": pgettext_lazy("data subject", "the day the request was closed")}
    actions = (ANONYMISE,)
    subject_path = "subject"
    clears = _(
        "The document's content, a copy of the person's data. Its kind, dates, size, pages "
        "and SHA-256 stay, as proof of what was sent."
    )

    def applicable(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        return qs.filter(request__closed_at__isnull=False)

    def governed(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        return qs  # a document of an open request waits for the request's closing day

    def awaiting(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        return qs.filter(request__closed_at__isnull=True)

    def expired(self, qs: QuerySet[Any], *, period: Period, as_of: dt.date) -> QuerySet[Any]:
        cutoff = start_of_legal_day(purge_cutoff(as_of, period))
        return qs.filter(request__closed_at__lt=cutoff)

    def pending(self, qs: QuerySet[Any], *, action: str) -> QuerySet[Any]:
        return qs.filter(content__isnull=False)

    def anchor_of(self, record: Any) -> dt.date | None:
        closed_at = record.request.closed_at
        return legal_date(closed_at) if closed_at else None

    def describe(self, record: Any) -> str:
        return str(record.get_kind_display())

    def apply(self, ids: Sequence[int], *, action: str, now: dt.datetime) -> Applied:
        applied = Applied()
        applied.add(
            "subject_requests.answer",
            Answer.objects.filter(pk__in=ids, content__isnull=False).update(
                content=None, content_cleared_at=now
            ),
        )
        return applied
