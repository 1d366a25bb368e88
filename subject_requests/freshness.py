"""Whether a document still says what holds: an answer built before a system answered, an
action was carried out, the person's record or their consent changed is out of date, and
the requester must not receive it. A newer document of the same kind for
the same person replaces an older one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q

from consent.models import ConsentEvent
from subject_requests.choices import AnswerStatus
from subject_requests.models import Answer, RightAction, SubjectRequest, SystemTask
from subjects.models import DataSubject

# What may have changed since a document was built, in the DPO's words.
CHANGES = {
    "_task": "a system's task or answer",
    "_action": "an action on the person's data",
    "_record": "the person's record",
    "_consent": "the person's consent",
}


def changes_since_built(answers: Iterable[Answer]) -> dict[int, list[str]]:
    """Per built document (by id), what changed after it was built (empty: still true).
    One query for all of them."""
    ids = [a.pk for a in answers if a.built_at is not None and a.subject_id is not None]
    if not ids:
        return {}
    built, request, subject = OuterRef("built_at"), OuterRef("request_id"), OuterRef("subject_id")
    rows = (
        Answer.objects.filter(pk__in=ids)
        .annotate(
            _task=Exists(
                SystemTask.objects.filter(request_id=request, subject_id=subject).filter(
                    Q(created_at__gt=built) | Q(completed_at__gt=built)
                )
            ),
            _action=Exists(
                RightAction.objects.filter(
                    request_id=request, subject_id=subject, done_at__gt=built
                )
            ),
            _record=Exists(DataSubject.objects.filter(pk=subject, updated_at__gt=built)),
            _consent=Exists(ConsentEvent.objects.filter(subject_id=subject, recorded_at__gt=built)),
        )
        .values("pk", *CHANGES)
    )
    return {row["pk"]: [words for flag, words in CHANGES.items() if row[flag]] for row in rows}


def current(answers: Iterable[Answer]) -> list[Answer]:
    """`AnswerQuerySet.current` on rows already read: the documents not replaced by a newer
    built one of the same kind for the same person."""
    answers = list(answers)
    newest: dict[tuple[int, str], tuple[dt.datetime, int]] = {}
    for answer in answers:
        if answer.status == AnswerStatus.READY and answer.built_at and answer.subject_id:
            key = (answer.subject_id, answer.kind)
            newest[key] = max(
                newest.get(key, (answer.built_at, answer.pk)), (answer.built_at, answer.pk)
            )

    def replaced(answer: Answer) -> bool:
        found = newest.get((answer.subject_id or 0, answer.kind))
        return answer.status == AnswerStatus.READY and found is not None and found[1] != answer.pk

    return [a for a in answers if not replaced(a)]


def stale_documents(request: SubjectRequest) -> list[tuple[Answer, list[str]]]:
    """The request's current, reviewed documents that are out of date, with what changed."""
    deliverable = [a for a in current(request.answers.all()) if a.is_deliverable]
    changed = changes_since_built(deliverable)
    return [(a, changed[a.pk]) for a in deliverable if changed.get(a.pk)]
