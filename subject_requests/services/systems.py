"""Sending a right's work to the systems outside the portal that hold the person's data
(GDPR Art. 30(1)(d)), and Art. 19 notices to the recipients that received it.

One task per system of the register (`processing.selectors.systems_holding`) that holds the
person's kind of data in the affected categories: internal systems and processors act on the
data (their owner by hand, or their webhook); recipients are notified (Art. 19: by e-mail to
their contact, or by their webhook). A webhook task carries a signed JSON payload and a
signed single-use completion link (`core.webhooks`); a failed call is retried with exponential
backoff and then shown as failed. The request is completed only once every task is resolved,
or with the DPO's reason, which the letter states.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.audit import Actor, record_event
from core.timeutil import legal_today
from core.webhooks import callback_token, new_nonce, post_json
from processing.models import Connector, DataCategory, System, SystemKind
from processing.selectors import systems_holding
from retention.lookups import IdArray
from subject_requests.choices import (
    ActionKind,
    EntryKind,
    Operation,
    RequestType,
    TaskCause,
    TaskKind,
    TaskStatus,
)
from subject_requests.models import RightAction, SubjectRequest, SystemTask
from subject_requests.services.common import add_entry, audit, audit_task, note_on_task
from subjects.models import DataSubject

CALLBACK_PURPOSE = "system-task"

OPERATION_OF_ACTION: dict[str, str] = {
    ActionKind.ERASURE: Operation.ERASE,
    ActionKind.RECTIFICATION: Operation.RECTIFY,
    ActionKind.RESTRICTION: Operation.RESTRICT,
    ActionKind.RESTRICTION_LIFT: Operation.LIFT_RESTRICTION,
}
# GDPR Art. 19: rectification, erasure and restriction are notified to every recipient.
NOTIFIED_OPERATIONS = frozenset({Operation.ERASE, Operation.RECTIFY, Operation.RESTRICT})
# The rights whose start asks every system what it holds.
ACCESS_TYPES = frozenset({RequestType.ACCESS, RequestType.COPY, RequestType.PORTABILITY})


def identifiers_of(person: DataSubject) -> dict[str, Any]:
    """What a system needs to find the person: taken before an erasure clears it."""
    organisation = person.organisation
    return {
        "subject_id": person.pk,
        "kind": person.kind,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "work_email": person.work_email or "",
        "work_phone": person.work_phone or "",
        "organisation": organisation.name if organisation else "",
        "organisation_registry_code": organisation.registry_code if organisation else "",
        "external_id": person.external_id or "",
    }


def every_category() -> list[str]:
    return list(DataCategory.objects.order_by("id").values_list("code", flat=True))


def task_due_on(request: SubjectRequest, *, today: dt.date) -> dt.date:
    """Before the request's target day, so the DPO has the answers in time; never in the past."""
    lead = dt.timedelta(days=settings.SYSTEM_TASK_LEAD_DAYS)
    return max(today, request.target_on() - lead)


def task_kind_for(system: System, operation: str) -> str | None:
    """The kind of task a system gets for an operation, or None (a recipient is not asked
    what it holds, nor told of a lifting)."""
    if system.kind == SystemKind.RECIPIENT:
        return TaskKind.NOTICE if operation in NOTIFIED_OPERATIONS else None
    return TaskKind.ACTION


def connector_for(system: System, operation: str) -> str:
    """How the task reaches the system: a database system's owner acts by hand on what the
    portal does not carry out by SQL (`platform_tasks.handles`)."""
    from subject_requests.services.platform_tasks import handles

    if system.connector == Connector.DATABASE and not handles(system.pk, operation):
        return Connector.MANUAL
    return str(system.connector)


def dispatch(
    request: SubjectRequest | None,
    *,
    person: DataSubject,
    operation: str,
    categories: Sequence[str],
    identifiers: dict[str, Any],
    actor: Actor,
    now: dt.datetime,
    action: RightAction | None = None,
    extra: dict[str, Any] | None = None,
    waiting: bool = False,
    cause: str = TaskCause.REQUEST,
) -> list[SystemTask]:
    """Create the tasks and notices for one person, inside the caller's transaction; the
    deliveries go after commit. `waiting`: stored, not sent, until `release_waiting` sends
    them (an erasure a hold or a claim defers). Without a request (an erasure no request
    started: `cause`), the tasks are due the lead time from today."""
    today = legal_today(now)
    if request is not None:
        due_on = task_due_on(request, today=today)
    else:
        due_on = today + dt.timedelta(days=settings.SYSTEM_TASK_LEAD_DAYS)
    tasks = []
    for system in systems_holding(kind=identifiers["kind"], categories=categories):
        kind = task_kind_for(system, operation)
        if kind is None:
            continue
        payload = {
            "reference": request.reference if request is not None else "",
            "right": request.type if request is not None else "",
            "cause": cause,
            "operation": operation,
            "kind": kind,
            "due_on": due_on.isoformat(),
            "categories": list(categories),
            "person": identifiers,
            **(extra or {}),
        }
        tasks.append(
            SystemTask(
                request=request,
                cause=cause,
                action=action,
                subject=person,
                system=system,
                kind=kind,
                operation=operation,
                connector=connector_for(system, operation),
                owner=system.owner,
                due_on=due_on,
                status=TaskStatus.WAITING if waiting else TaskStatus.OPEN,
                payload=payload,
                callback_nonce=new_nonce() if system.is_webhook else "",
                created_at=now,
            )
        )
    if not tasks:
        return []
    created = SystemTask.objects.bulk_create(tasks)
    notices = sum(1 for t in created if t.kind == TaskKind.NOTICE)
    counts = {"tasks": len(created) - notices, "notices": notices, "waiting": waiting}
    if request is not None:
        when = "kept until the data may go" if waiting else f"sent out, due {due_on:%d.%m.%Y}"
        add_entry(
            request,
            kind=EntryKind.NOTE,
            actor=actor,
            now=now,
            summary=f"{Operation(operation).label}: {len(created) - notices} system task(s) "
            f"and {notices} Art. 19 notice(s) {when}",
        )
        audit(
            "request.system_tasks_created",
            actor=actor,
            request=request,
            operation=operation,
            subject=person.pk,
            **counts,
        )
    else:
        record_event(
            action="request.system_tasks_created",
            actor=actor,
            target=person,
            details={"cause": cause, "operation": operation, **counts},
        )
    if not waiting:
        deliver_after_commit(created)
    return created


def deliver_after_commit(tasks: Sequence[SystemTask]) -> None:
    to_deliver = [t for t in tasks if needs_delivery(t)]
    if to_deliver:
        from subject_requests.services.task_claims import queue_deliveries

        transaction.on_commit(lambda: queue_deliveries(to_deliver))


def needs_delivery(task: SystemTask) -> bool:
    """Webhook tasks and notices are sent, a database system's task is carried out by the
    portal; a manual task waits for its owner."""
    return task.connector in (Connector.WEBHOOK, Connector.DATABASE) or task.kind == TaskKind.NOTICE


def dispatch_action(
    action: RightAction,
    *,
    identifiers: dict[str, Any],
    categories: Sequence[str] | None = None,
    extra: dict[str, Any] | None = None,
    actor: Actor,
    now: dt.datetime,
    waiting: bool = False,
) -> list[SystemTask]:
    assert action.subject is not None
    return dispatch(
        action.request,
        person=action.subject,
        operation=OPERATION_OF_ACTION[action.kind],
        categories=every_category() if categories is None else categories,
        identifiers=identifiers,
        actor=actor,
        now=now,
        action=action,
        extra=extra,
        waiting=waiting,
    )


def dispatch_access(request: SubjectRequest, *, actor: Actor, now: dt.datetime) -> int:
    """An access, copy or portability request started: each system reports what it holds."""
    if request.type not in ACCESS_TYPES or request.system_tasks.exists():
        return 0
    people = request.subjects.filter(anonymised_at__isnull=True).select_related("organisation")
    return sum(ask_what_is_held(request, person=p, actor=actor, now=now) for p in people)


def ask_what_is_held(
    request: SubjectRequest, *, person: DataSubject, actor: Actor, now: dt.datetime
) -> int:
    """Each system holding data of the person reports what it holds about them: for an access,
    copy or portability request, when its work starts, or when the DPO links the person to it
    later."""
    if request.type not in ACCESS_TYPES:
        return 0
    return len(
        dispatch(
            request,
            person=person,
            operation=Operation.ACCESS,
            categories=every_category(),
            identifiers=identifiers_of(person),
            actor=actor,
            now=now,
        )
    )


# --- delivery ----------------------------------------------------------------------------------


def callback_url(task: SystemTask) -> str:
    token = callback_token(purpose=CALLBACK_PURPOSE, object_id=task.pk, nonce=task.callback_nonce)
    return f"{settings.SITE_URL}{reverse('system_task_callback', args=[token])}"


def retry_delay(attempts: int) -> int:
    """Seconds before the next try after `attempts` failed ones: 1, 2, 4, … minutes, at most
    an hour."""
    return int(min(settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), 3600))


@dataclass(frozen=True)
class Delivery:
    status: str  # the task's status afterwards
    retry_in: int | None = None  # seconds, when the caller should try again


def deliver(*, task_id: int, now: dt.datetime | None = None) -> Delivery:
    """One delivery attempt of a webhook task or a notice. Safe to run twice: a resolved or
    already delivered task is left alone."""
    from subject_requests.services.notices import send_notice_email

    now = now or timezone.now()
    task = SystemTask.objects.select_related("system", "request").get(pk=task_id)
    if task.is_resolved or task.delivered_at is not None or not needs_delivery(task):
        return Delivery(status=task.status)
    system = task.system
    if task.connector == Connector.DATABASE:
        from subject_requests.services import platform_tasks

        outcome = platform_tasks.run(task, now=now)
        task.refresh_from_db(fields=["payload"])
        if outcome.ok:
            return _carried_out(task, evidence=outcome.evidence, found=outcome.found, now=now)
        ok, error = False, outcome.error
    elif task.connector == Connector.WEBHOOK:
        payload = dict(task.payload or {})
        payload["task"] = task.pk
        if task.kind == TaskKind.ACTION and not system.synchronous:
            payload["callback_url"] = callback_url(task)
        url, secret, message_id = system.webhook_url, system.webhook_secret, f"task-{task.pk}"
        result = post_json(url=url, payload=payload, secret=secret, message_id=message_id)
        ok, error = result.ok, result.error
    else:
        ok, error = send_notice_email(task)
    task.attempts += 1
    if ok:
        return _delivered(task, now=now)
    task.last_error = error[:300]
    if task.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        task.status = TaskStatus.FAILED
        task.next_attempt_at = None
        task.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
        note_on_task(
            task,
            actor="system-tasks",
            now=now,
            summary=f"{system.name}: not delivered after {task.attempts} attempts ({error})"[:300],
        )
        return Delivery(status=task.status)
    delay = retry_delay(task.attempts)
    task.next_attempt_at = now + dt.timedelta(seconds=delay)
    task.save(update_fields=["attempts", "last_error", "next_attempt_at"])
    return Delivery(status=task.status, retry_in=delay)


def _carried_out(
    task: SystemTask, *, evidence: str, found: dict[str, Any] | None, now: dt.datetime
) -> Delivery:
    """The portal did the work in the system's database: the evidence is its answer (what
    the access found, the erasure's certificate), `found` the rows an access found."""
    task.attempts += 1
    task.status, task.completed_at, task.completed_via = TaskStatus.DONE, now, "database"
    task.evidence, task.last_error, task.next_attempt_at = evidence, "", None
    task.found = found
    task.delivered_at, task.callback_nonce, task.payload = now, "", None
    task.save()
    note_on_task(
        task,
        actor="system-tasks",
        now=now,
        summary=f"{task.system.name}: carried out by the portal in its database",
    )
    audit_task("request.system_task_carried_out", actor="system-tasks", task=task)
    return Delivery(status=task.status)


def _delivered(task: SystemTask, *, now: dt.datetime) -> Delivery:
    task.delivered_at, task.last_error, task.next_attempt_at = now, "", None
    fields = ["attempts", "delivered_at", "last_error", "next_attempt_at"]
    done_by_delivery = task.kind == TaskKind.NOTICE or task.system.synchronous
    if done_by_delivery:
        task.status = TaskStatus.DONE
        task.completed_at = now
        task.completed_via = "delivered" if task.kind == TaskKind.NOTICE else "synchronous"
        task.callback_nonce = ""
        task.payload = None
        fields += ["status", "completed_at", "completed_via", "callback_nonce", "payload"]
    task.save(update_fields=fields)
    what = "Art. 19 notice" if task.kind == TaskKind.NOTICE else "Task"
    note_on_task(
        task,
        actor="system-tasks",
        now=now,
        summary=f"{what} delivered to {task.system.name}"
        + ("" if done_by_delivery else ": waiting for its confirmation"),
    )
    return Delivery(status=task.status)


def release_waiting(*, subject_ids: Sequence[int], now: dt.datetime, cause: str = "") -> int:
    """Send the erasure tasks and notices a legal hold or a kept claim deferred, now that the
    people are being erased (on request or by the nightly purge: `subjects.hooks.after_erase`,
    inside that transaction). Returns how many were sent."""
    waiting = SystemTask.objects.filter(status=TaskStatus.WAITING)
    # Most nights nothing waits: one probe instead of planning a batch's 5 000 ids.
    if not waiting.exists():
        return 0
    tasks = list(
        waiting.select_for_update(of=("self",))
        .filter(subject_id__any_of=IdArray(subject_ids))
        .select_related("request")
        .order_by("pk")
    )
    if not tasks:
        return 0
    due_on = legal_today(now) + dt.timedelta(days=settings.SYSTEM_TASK_LEAD_DAYS)
    for task in tasks:
        task.status, task.due_on = TaskStatus.OPEN, due_on
        task.payload = {**(task.payload or {}), "due_on": due_on.isoformat()}
    SystemTask.objects.bulk_update(tasks, ["status", "due_on", "payload"])
    by_request: dict[int, list[SystemTask]] = {}
    for task in tasks:
        if task.request_id is not None:
            by_request.setdefault(task.request_id, []).append(task)
    for released in by_request.values():
        request = released[0].request
        assert request is not None
        notices = sum(1 for t in released if t.kind == TaskKind.NOTICE)
        add_entry(
            request,
            kind=EntryKind.NOTE,
            actor="retention",
            now=now,
            summary=f"The deferred erasure is carried out: {len(released) - notices} system "
            f"task(s) and {notices} Art. 19 notice(s) sent out, due {due_on:%d.%m.%Y}",
        )
        audit(
            "request.system_tasks_released",
            actor="retention",
            request=request,
            tasks=len(released) - notices,
            notices=notices,
        )
    deliver_after_commit(tasks)
    return len(tasks)
