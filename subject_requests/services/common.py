"""Pieces every request service shares: errors, the lock, timeline entries, letters."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import translation

from core.audit import Actor, record_event
from core.permissions import has_permission
from subject_requests import deadlines
from subject_requests.choices import AnswerKind, AnswerStatus, EntryKind
from subject_requests.letters import PDF_LETTERS, letter_outcome, render_letter_pdf
from subject_requests.models import Answer, SubjectRequest, SystemTask, TimelineEntry


class RequestError(ValueError):
    """A refused action; the message is shown to the user as it is."""


class IllegalTransition(RequestError):
    pass


def refuse_unless_allowed(refusal: str | None) -> None:
    """Raise a guard's refusal (`subject_requests.guards`): the page offers only what passes."""
    if refusal is not None:
        raise RequestError(refusal)


def require(actor: Actor, key: str) -> None:
    """Services refuse too: a view that forgot its check still cannot decide a request.
    System actors (a job's name, "data subject") act only where their service allows."""
    if isinstance(actor, AbstractBaseUser) and not has_permission(actor, key):
        raise PermissionDenied(key)


def lock(request: SubjectRequest) -> SubjectRequest:
    """The row, locked for the rest of the transaction, so two clicks cannot both act."""
    return SubjectRequest.objects.select_for_update().get(pk=request.pk)


def refresh_deadline(request: SubjectRequest) -> list[str]:
    """Recompute the due and target instants from the request's own receipt, extension and
    closed pauses (never chained from an earlier due date); returns the fields to save."""
    fields = deadlines.request_deadline(
        request.received_at, extended=request.is_extended, pauses=[request.paused_days]
    ).as_fields()
    for name, value in fields.items():
        setattr(request, name, value)
    return list(fields)


def actor_fields(actor: Actor) -> dict[str, Any]:
    if isinstance(actor, AbstractBaseUser):
        return {"actor": actor, "actor_label": ""}
    return {"actor": None, "actor_label": actor if isinstance(actor, str) else "anonymous"}


def add_entry(
    request: SubjectRequest,
    *,
    kind: str,
    actor: Actor,
    summary: str,
    now: dt.datetime,
    **fields: Any,
) -> TimelineEntry:
    return TimelineEntry.objects.create(
        request=request,
        kind=kind,
        occurred_at=now,
        summary=summary[:300],
        **actor_fields(actor),
        **fields,
    )


def send_letter(
    request: SubjectRequest,
    *,
    letter: str,
    actor: Actor,
    summary: str,
    now: dt.datetime,
    body: str | None = None,
    kind: str = EntryKind.LETTER,
) -> TimelineEntry:
    """Keep the letter on the timeline and e-mail it after commit. Without an e-mail
    address the entry tells staff to send it by post."""
    if not request.requester_email:
        summary = f"{summary} — no e-mail address: send it by post"
    entry = add_entry(
        request, kind=kind, actor=actor, summary=summary, now=now, letter=letter, body=body
    )
    if letter in PDF_LETTERS:
        entry.answer = store_letter_pdf(request, letter=letter, actor=actor, now=now)
        entry.save(update_fields=["answer"])
    if request.requester_email:
        from subject_requests.tasks import send_request_letter

        entry_id = entry.pk
        transaction.on_commit(lambda: send_request_letter.delay(entry_id))
    return entry


def store_letter_pdf(
    request: SubjectRequest, *, letter: str, actor: Actor, now: dt.datetime
) -> Answer:
    """The answer letter as a PDF, kept with the request (the proof of what was sent, and a
    copy for a letter by post). Its decider has just read it on the confirmation page."""
    pdf = render_letter_pdf(request, letter=letter, now=now)
    outcome = letter_outcome(request, letter)
    return Answer.objects.create(
        request=request,
        subject=request.subjects.first(),
        kind=AnswerKind.LETTER,
        language=request.language,
        outcome=outcome,
        status=AnswerStatus.READY,
        progress=100,
        content=pdf.content,
        content_type="application/pdf",
        file_name=f"letter-{request.reference}-{outcome}.pdf",
        size=len(pdf.content),
        pages=pdf.pages,
        sha256=hashlib.sha256(pdf.content).hexdigest(),
        requested_at=now,
        built_at=now,
        reviewed_at=now,
        reviewed_by=actor_fields(actor)["actor"],
    )


def audit(action: str, *, actor: Actor, request: SubjectRequest, **details: Any) -> None:
    record_event(
        action=action,
        actor=actor,
        target=request,
        details={"reference": request.reference, **details},
    )


def note_on_task(task: SystemTask, *, actor: Actor, now: dt.datetime, summary: str) -> None:
    """A note on the timeline of the request the task serves (an erasure no request started
    has no timeline: its audit events tell it)."""
    if task.request is not None:
        add_entry(task.request, kind=EntryKind.NOTE, actor=actor, now=now, summary=summary)


def audit_task(action: str, *, actor: Actor, task: SystemTask, **details: Any) -> None:
    if task.request is not None:
        audit(action, actor=actor, request=task.request, task=task.pk, **details)
    else:
        record_event(
            action=action, actor=actor, target=task, details={"cause": task.cause, **details}
        )


def staff_label(choice: Any) -> str:
    """A choice's label in the staff language: timeline summaries are for staff, even when
    a requester's action on a public page (in Latvian, say) writes them."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(choice.label)
