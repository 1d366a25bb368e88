"""Building, reviewing and retrying the documents a request is answered with.

Building runs in a Celery task on its own queue (`reports`), enqueued after commit, so a long
report never delays the mail or the nightly purge. The task claims its document with a
conditional UPDATE (a second worker or a rerun does nothing), reports progress in short
autocommitted UPDATEs the request page polls, and stores the result — or the reason it failed
— in one statement, so a killed build leaves a document a retry can take over.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import Actor, record_event
from subject_requests import guards
from subject_requests.choices import ANSWER_FOR_TYPE, AnswerKind, AnswerStatus, EntryKind
from subject_requests.delivery import documents_for, issue_link
from subject_requests.models import Answer, SubjectRequest
from subject_requests.services.common import (
    RequestError,
    actor_fields,
    add_entry,
    audit,
    lock,
    refuse_unless_allowed,
    require,
    send_letter,
    staff_label,
)
from subject_requests.services.workflow import begin_work

logger = logging.getLogger(__name__)

JOB = "reports"
# A build whose worker died (no progress for this long) may be taken over by a retry.
STALE_AFTER = dt.timedelta(minutes=15)


@transaction.atomic
def request_answer(
    *,
    request: SubjectRequest,
    actor: Actor,
    subject: Any = None,
    now: dt.datetime | None = None,
) -> Answer:
    """Queue the document the request's right is answered with, for one matched person.
    Building it starts the work on a verified request."""
    require(actor, "requests.decide")
    now = now or timezone.now()
    request = lock(request)
    refuse_unless_allowed(guards.can_build_answer(request, now))
    matched = list(request.subjects.all())
    if subject is None:
        if len(matched) > 1:
            raise RequestError(_("Choose which of the matched people the document is about."))
        subject = matched[0]
    elif subject.pk not in {s.pk for s in matched}:
        raise RequestError(_("A document can only be about a person matched to the request."))
    begin_work(request, actor=actor, now=now)
    kind = ANSWER_FOR_TYPE[request.type]
    answer = Answer.objects.create(
        request=request,
        subject=subject,
        kind=kind,
        language=request.language,
        requested_by=actor_fields(actor)["actor"],
        requested_at=now,
        progress_note="Waiting for a worker",
    )
    add_entry(
        request,
        kind=EntryKind.DOCUMENT,
        actor=actor,
        now=now,
        summary=f"{staff_label(AnswerKind(kind))}: building",
    )
    audit("request.answer_requested", actor=actor, request=request, answer=answer.pk, kind=kind)
    _enqueue(answer)
    return answer


def _enqueue(answer: Answer) -> None:
    from subject_requests.tasks import build_answer_task

    answer_id = answer.pk
    transaction.on_commit(lambda: build_answer_task.delay(answer_id))


def _claim(answer_id: int, now: dt.datetime) -> bool:
    fresh = Answer.objects.filter(pk=answer_id, status=AnswerStatus.QUEUED)
    stale = Answer.objects.filter(
        pk=answer_id, status=AnswerStatus.BUILDING, started_at__lt=now - STALE_AFTER
    )
    values = {
        "status": AnswerStatus.BUILDING,
        "started_at": now,
        "attempts": F("attempts") + 1,
        "progress": 1,
        "progress_note": "Started",
        "error": "",
    }
    return bool(fresh.update(**values) or stale.update(**values))


def _reporter(answer_id: int) -> Callable[[int, str], None]:
    def progress(percent: int, note: str) -> None:
        # Autocommitted, so the request page sees it while the build goes on; the start
        # time moves too, so a live build is never taken for a stale one.
        Answer.objects.filter(pk=answer_id, status=AnswerStatus.BUILDING).update(
            progress=max(1, min(percent, 99)), progress_note=note[:100], started_at=timezone.now()
        )

    return progress


Progress = Callable[[int, str], None]
# What a builder returns: the document's bytes, content type, file name and pages (0 for a zip).
Built = tuple[bytes, str, str, int]
Builder = Callable[[Answer, Progress], Built]
# The documents' contents are the reports app's, above this one (it reads the requests for
# the person's own requests and what their systems answered): it registers one builder per
# kind of document when it loads (`reports.apps`).
_BUILDERS: dict[str, Builder] = {}


def register_builder(kind: AnswerKind, builder: Builder) -> None:
    _BUILDERS[kind] = builder


def build(answer: Answer, progress: Progress) -> Built:
    """The document's bytes, content type, file name and pages."""
    if answer.subject is None:
        raise RequestError("The person this document was about is no longer in the portal.")
    builder = _BUILDERS.get(answer.kind)
    if builder is None:
        raise RequestError(f"No document of the kind {answer.kind!r} can be built here.")
    return builder(answer, progress)


def run_answer_build(*, answer_id: int, now: dt.datetime | None = None) -> bool:
    """The task's body: build the document once, whoever runs it and however often."""
    if not _claim(answer_id, now or timezone.now()):
        return False
    answer = Answer.objects.select_related("request", "subject").get(pk=answer_id)
    try:
        content, content_type, file_name, pages = build(answer, _reporter(answer_id))
    except (Exception, SoftTimeLimitExceeded) as exc:
        logger.exception("building answer document %s failed", answer_id)
        _fail(answer, exc)
        return False
    with transaction.atomic():
        done = Answer.objects.filter(pk=answer_id, status=AnswerStatus.BUILDING).update(
            status=AnswerStatus.READY,
            content=content,
            content_type=content_type,
            file_name=file_name,
            size=len(content),
            pages=pages,
            sha256=hashlib.sha256(content).hexdigest(),
            built_at=timezone.now(),
            progress=100,
            progress_note="Ready",
        )
        if done:
            label = staff_label(AnswerKind(answer.kind))
            add_entry(
                answer.request,
                kind=EntryKind.DOCUMENT,
                actor=JOB,
                now=timezone.now(),
                summary=f"{label}: ready for review ({_size(pages, len(content))})",
            )
            audit("request.answer_built", actor=JOB, request=answer.request, answer=answer_id)
    return bool(done)


def _size(pages: int, size: int) -> str:
    return f"{pages} pages" if pages else f"{size:,} bytes"


def _fail(answer: Answer, exc: BaseException) -> None:
    # The reason in words for the DPO, never the data: exception messages may quote it.
    reason = (
        "It took too long and was stopped."
        if isinstance(exc, SoftTimeLimitExceeded)
        else str(exc)
        if isinstance(exc, RequestError)
        else f"An error occurred while building it ({type(exc).__name__})."
    )
    with transaction.atomic():
        Answer.objects.filter(pk=answer.pk, status=AnswerStatus.BUILDING).update(
            status=AnswerStatus.FAILED, error=reason[:300], progress_note="Failed"
        )
        add_entry(
            answer.request,
            kind=EntryKind.DOCUMENT,
            actor=JOB,
            now=timezone.now(),
            summary=f"{staff_label(AnswerKind(answer.kind))}: failed — {reason}",
        )
        audit(
            "request.answer_failed",
            actor=JOB,
            request=answer.request,
            answer=answer.pk,
            error=type(exc).__name__,
        )


@transaction.atomic
def retry_answer(*, answer: Answer, actor: Actor) -> Answer:
    require(actor, "requests.decide")
    answer = Answer.objects.select_for_update().select_related("request").get(pk=answer.pk)
    refuse_unless_allowed(guards.can_retry_answer(answer))
    answer.status = AnswerStatus.QUEUED
    answer.progress, answer.progress_note, answer.error = 0, "Waiting for a worker", ""
    answer.save(update_fields=["status", "progress", "progress_note", "error"])
    audit("request.answer_retried", actor=actor, request=answer.request, answer=answer.pk)
    _enqueue(answer)
    return answer


@transaction.atomic
def review_answer(*, answer: Answer, actor: Actor, now: dt.datetime | None = None) -> Answer:
    """The DPO has read the document: it may now be sent with the closing letter."""
    require(actor, "requests.decide")
    now = now or timezone.now()
    answer = Answer.objects.select_for_update().select_related("request").get(pk=answer.pk)
    refuse_unless_allowed(guards.can_review_answer(answer))
    answer.reviewed_at = now
    answer.reviewed_by = actor_fields(actor)["actor"]
    answer.save(update_fields=["reviewed_at", "reviewed_by"])
    add_entry(
        answer.request,
        kind=EntryKind.DOCUMENT,
        actor=actor,
        now=now,
        summary=f"{staff_label(AnswerKind(answer.kind))}: reviewed",
    )
    audit("request.answer_reviewed", actor=actor, request=answer.request, answer=answer.pk)
    return answer


def record_preview(*, answer: Answer, actor: Actor) -> None:
    """Opening a document is a look at the person's data, and every look is logged."""
    record_event(
        action="request.answer_previewed",
        actor=actor,
        target=answer.request,
        details={"reference": answer.request.reference, "answer": answer.pk},
    )


@transaction.atomic
def renew_answer_link(*, request: SubjectRequest, now: dt.datetime | None = None) -> bool:
    """A new download link (the old one stops working), e-mailed to the request's address;
    asked for by the requester on the expired link's page."""
    now = now or timezone.now()
    request = lock(request)
    if not request.requester_email or not documents_for(request).documents().exists():
        return False
    issue_link(request)
    request.save(update_fields=["delivery_nonce", "updated_at"])
    send_letter(
        request,
        letter="answers_link",
        actor="data subject",
        now=now,
        summary="Letter: a new link to the answer documents",
    )
    audit("request.answer_link_renewed", actor="data subject", request=request)
    return True
