"""Building, reviewing and retrying the documents a request is answered with.

Building runs in a Celery task on its own queue (`reports`), enqueued after commit, so a long
report never delays the mail or the nightly purge. The task claims its document with a
conditional UPDATE (a second worker or a rerun does nothing while the claim's worker beats,
`core.heartbeat`), reports progress in short autocommitted UPDATEs the request page polls, and
stores the result — or the reason it failed — in one statement. Every write carries the
claim's number (`attempts`): a killed build leaves a document the DPO takes over once its
heartbeat stops, and a worker whose build was taken over writes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import Actor, record_event
from core.heartbeat import beating
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


def _claim(answer_id: int, now: dt.datetime) -> int | None:
    """The claim's number, or None: built, failed, or being built by a worker that beats."""
    fresh = Answer.objects.filter(pk=answer_id, status=AnswerStatus.QUEUED)
    values = {
        "status": AnswerStatus.BUILDING,
        "started_at": now,
        "heartbeat_at": now,
        "attempts": F("attempts") + 1,
        "progress": 1,
        "progress_note": "Started",
        "error": "",
    }
    # A message delivered again after its worker died finds the claim stale and takes it.
    if fresh.update(**values) or Answer.objects.stalled(now=now).filter(pk=answer_id).update(
        **values
    ):
        return Answer.objects.values_list("attempts", flat=True).get(pk=answer_id)
    return None


def _claimed(answer_id: int, claim: int) -> QuerySet[Answer]:
    """The document while this claim holds it: what each of the build's writes updates."""
    return Answer.objects.filter(pk=answer_id, status=AnswerStatus.BUILDING, attempts=claim)


def _reporter(answer_id: int, claim: int) -> Callable[[int, str], None]:
    def progress(percent: int, note: str) -> None:
        # Autocommitted, so the request page sees it while the build goes on.
        _claimed(answer_id, claim).update(
            progress=max(1, min(percent, 99)),
            progress_note=note[:100],
            heartbeat_at=timezone.now(),
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
    claim = _claim(answer_id, now or timezone.now())
    if claim is None:
        return False
    answer = Answer.objects.select_related("request", "subject").get(pk=answer_id)

    def beat() -> bool:
        return bool(_claimed(answer_id, claim).update(heartbeat_at=timezone.now()))

    with beating(beat):
        return _build_and_store(answer, claim)


def _build_and_store(answer: Answer, claim: int) -> bool:
    answer_id = answer.pk
    try:
        content, content_type, file_name, pages = build(answer, _reporter(answer_id, claim))
    except (Exception, SoftTimeLimitExceeded) as exc:
        logger.exception("building answer document %s failed", answer_id)
        _fail(answer, claim, exc)
        return False
    with transaction.atomic():
        done = _claimed(answer_id, claim).update(
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


def _fail(answer: Answer, claim: int, exc: BaseException) -> None:
    # The reason in words for the DPO, never the data: exception messages may quote it.
    reason = (
        "It took too long and was stopped."
        if isinstance(exc, SoftTimeLimitExceeded)
        else str(exc)
        if isinstance(exc, RequestError)
        else f"An error occurred while building it ({type(exc).__name__})."
    )
    with transaction.atomic():
        failed = _claimed(answer.pk, claim).update(
            status=AnswerStatus.FAILED, error=reason[:300], progress_note="Failed"
        )
        if not failed:  # taken over: the build that took it says how it ends
            return
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
def take_over_answer(*, answer: Answer, actor: Actor, now: dt.datetime | None = None) -> Answer:
    """Build again a document whose worker stopped beating (killed, or its machine gone),
    without waiting for the broker to hand its message out again (hours: `privacyops.queues`).
    The build it queues claims the document; the stopped worker, if it ever wakes, writes
    nothing (its claim's number is no longer the document's)."""
    require(actor, "requests.decide")
    now = now or timezone.now()
    answer = Answer.objects.select_related("request").get(pk=answer.pk)
    refuse_unless_allowed(guards.can_take_over_answer(answer, now))
    # Conditional, so of two DPOs pressing at once one takes it over and the other is told.
    taken = (
        Answer.objects.stalled(now=now)
        .filter(pk=answer.pk)
        .update(status=AnswerStatus.QUEUED, progress=0, progress_note="Waiting for a worker")
    )
    if not taken:
        raise RequestError("Someone else has just taken it over, or its worker is alive again.")
    answer.refresh_from_db()
    label = staff_label(AnswerKind(answer.kind))
    stopped = answer.heartbeat_at or answer.started_at
    add_entry(
        answer.request,
        kind=EntryKind.DOCUMENT,
        actor=actor,
        now=now,
        summary=f"{label}: its worker stopped; taken over and building again",
    )
    audit(
        "request.answer_taken_over",
        actor=actor,
        request=answer.request,
        answer=answer.pk,
        last_heartbeat=stopped.isoformat() if stopped else None,
    )
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
