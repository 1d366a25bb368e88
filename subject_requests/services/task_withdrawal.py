"""What the systems were asked that a request no longer needs: the question of what they hold
about a person the DPO unlinked (matched by mistake), or about the people of a request closed
without an answer (rejected, withdrawn by the requester, closed unverified), and an erasure
still only proposed on such a request.

A withdrawn question is resolved: it leaves its owner's list, its completion link answers 410,
a delivery still queued sends nothing, and a webhook system that may have received it is told
by a signed call (`{"task": …, "reference": …, "withdrawn": <why>}`), retried like a task.
An action's tasks are never withdrawn: what an action did in the portal, the systems must do
to their copies too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.audit import Actor
from core.webhooks import post_json
from processing.models import Connector
from subject_requests.choices import ActionStatus, EntryKind, TaskStatus
from subject_requests.models import SubjectRequest, SystemTask
from subject_requests.services.common import add_entry, audit, note_on_task

# Why a question was withdrawn: the code a webhook system receives, the words staff read.
NOT_THE_REQUESTER = "not_the_requester"
REQUEST_CLOSED = "request_closed"
WHY: dict[str, str] = {
    NOT_THE_REQUESTER: "The DPO unlinked the person: the request is not about them.",
    REQUEST_CLOSED: "The request was closed without an answer.",
}


def open_questions(request: SubjectRequest, *, subject_id: int | None = None) -> Any:
    """The request's questions to the systems (of one person, or of all) not yet answered."""
    questions = SystemTask.objects.unresolved().filter(request=request, action__isnull=True)
    return questions if subject_id is None else questions.filter(subject_id=subject_id)


def withdraw_questions(
    request: SubjectRequest,
    *,
    why: str,
    actor: Actor,
    now: dt.datetime,
    subject_id: int | None = None,
) -> int:
    """Withdraw the request's unresolved questions to the systems (of one person, or of all),
    inside the caller's transaction; the webhook systems are told after commit."""
    tasks = list(
        open_questions(request, subject_id=subject_id)
        .select_for_update(of=("self",))
        .select_related("system")
    )
    if not tasks:
        return 0
    SystemTask.objects.filter(pk__in=[t.pk for t in tasks]).update(
        status=TaskStatus.WITHDRAWN,
        evidence=WHY[why],
        completed_at=now,
        completed_via="withdrawn",
        callback_nonce="",
        payload=None,
        next_attempt_at=None,
    )
    names = ", ".join(sorted({t.system.name for t in tasks}))
    add_entry(
        request,
        kind=EntryKind.NOTE,
        actor=actor,
        now=now,
        summary=f"{len(tasks)} question(s) to the systems withdrawn ({names}). {WHY[why]}"[:300],
    )
    audit(
        "request.system_tasks_withdrawn",
        actor=actor,
        request=request,
        tasks=[t.pk for t in tasks],
        subject=subject_id,
        why=why,
    )
    # A system that may have received the question (delivered, or tried) is told; one that was
    # never sent it has nothing to forget.
    to_tell = [
        t.pk for t in tasks if t.connector == Connector.WEBHOOK and (t.delivered_at or t.attempts)
    ]
    if to_tell:
        from subject_requests.tasks import tell_task_withdrawn

        transaction.on_commit(lambda: [tell_task_withdrawn.delay(pk, why) for pk in to_tell])
    return len(tasks)


def cancel_proposals(request: SubjectRequest, *, actor: Actor, now: dt.datetime) -> int:
    """An action still only proposed on a request closed without an answer is cancelled."""
    cancelled = int(request.actions.proposed().update(status=ActionStatus.CANCELLED, done_at=now))
    if cancelled:
        add_entry(
            request,
            kind=EntryKind.NOTE,
            actor=actor,
            now=now,
            summary=f"{cancelled} proposed action(s) cancelled. {WHY[REQUEST_CLOSED]}",
        )
        audit("request.proposals_cancelled", actor=actor, request=request, cancelled=cancelled)
    return cancelled


def close_unanswered(request: SubjectRequest, *, actor: Actor, now: dt.datetime) -> None:
    """A request closed without an answer asks nothing more of anyone."""
    cancel_proposals(request, actor=actor, now=now)
    withdraw_questions(request, why=REQUEST_CLOSED, actor=actor, now=now)


def tell_withdrawn(*, task_id: int, why: str, attempt: int, now: dt.datetime | None = None) -> bool:
    """One attempt at telling a webhook system its question was withdrawn; True once it
    answered 2xx, or when there is nothing left to try (the last attempt's failure is noted)."""
    now = now or timezone.now()
    task = SystemTask.objects.select_related("system", "request").get(pk=task_id)
    system = task.system
    payload = {
        "task": task.pk,
        "reference": task.request.reference if task.request is not None else "",
        "withdrawn": why,
    }
    result = post_json(
        url=system.webhook_url,
        payload=payload,
        secret=system.webhook_secret,
        message_id=f"task-{task.pk}-withdrawn",
    )
    if result.ok:
        note_on_task(
            task, actor="system-tasks", now=now, summary=f"{system.name} told of the withdrawal"
        )
        return True
    if attempt + 1 >= settings.WEBHOOK_MAX_ATTEMPTS:
        note_on_task(
            task,
            actor="system-tasks",
            now=now,
            summary=f"{system.name}: the withdrawal could not be told after {attempt + 1} "
            f"attempts ({result.error})"[:300],
        )
        return True
    return False
