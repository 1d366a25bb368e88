"""Every erasure reaches the systems that hold the person's data, whatever started it (GDPR
Art. 17(1)(c), 17(2), 19, 28).

A request's erasure sends its own tasks (`erasure.confirm_erasure`, with the request's
reference and due day). An erasure no request started — a prospect's objection to direct
marketing through the one-click unsubscribe, the self-service page or a staff log, an
erasure entered by the operator, the nightly purge of a person who asked for erasure or was
flagged — reaches the systems here: `subjects.hooks.after_erase` calls `reach_systems` inside
the erasure's transaction, before the person's identifiers are cleared, so the tasks carry
what each system needs to find them; every recipient gets its Art. 19 notice.

People whose retention period ran out (prospects, former clients and users) reach the
systems once per purge run and rule, not one by one (`reach_systems_after_retention`, from
`retention.hooks.after_rule_purged`): each system holding such people's data gets one task
(each recipient one Art. 19 notice) naming the rule, its criterion, the cut-off day and how
many people it removed, to apply the same rule to its copy. No identifiers: the criterion
finds the same people there, and a task per person would cost a purge of a million expired
prospects more than the purge itself. A system the portal reaches by SQL has no owner to apply
a rule: for it, each batch of the purge first writes down how the platform finds its people
(`capture_for_databases`, from `retention.hooks.before_batch_purged`, before they are erased)
on one waiting task per run, rule and system, and the rule's end opens it: the portal erases
them all there in one run (`platform_tasks`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.utils import timezone

from core.audit import record_event
from core.timeutil import legal_today
from core.webhooks import new_nonce
from processing.models import Connector, System
from processing.selectors import systems_holding
from retention.models import PurgeRun, RetentionRule
from retention.periods import purge_cutoff
from retention.registry import registry
from subject_requests.choices import Operation, TaskCause, TaskKind, TaskStatus
from subject_requests.models import SystemTask
from subject_requests.services.systems import (
    deliver_after_commit,
    dispatch,
    every_category,
    identifiers_of,
    task_kind_for,
)
from subjects.models import DataSubject
from subjects.retention import ErasureRequestedData

# What started an erasure (`subjects.anonymisation.erase_people`'s `cause`) → the task's.
CAUSES: dict[str, str] = {
    "objection": TaskCause.OBJECTION,
    "erasure": TaskCause.ERASURE,
    ErasureRequestedData.code: TaskCause.PURGE,
}
ACTORS: dict[str, str] = {
    TaskCause.OBJECTION: "consent: objection to direct marketing",
    TaskCause.ERASURE: "erasure",
    TaskCause.PURGE: "retention",
}


def reach_systems(*, subject_ids: Sequence[int], now: dt.datetime, cause: str) -> int:
    """Send each system holding these people's data an erasure task, and each recipient its
    notice, for the people no erasure task was sent for yet. Returns how many were sent."""
    task_cause = CAUSES.get(cause)
    if task_cause is None or not subject_ids:
        return 0
    reached = set(
        SystemTask.objects.filter(
            subject_id__in=subject_ids, operation=Operation.ERASE
        ).values_list("subject_id", flat=True)
    )
    people = (
        DataSubject.objects.filter(pk__in=[pk for pk in subject_ids if pk not in reached])
        .select_related("organisation")
        .order_by("pk")
    )
    categories = every_category()
    return sum(
        len(
            dispatch(
                None,
                person=person,
                operation=Operation.ERASE,
                categories=categories,
                identifiers=identifiers_of(person),
                actor=ACTORS[task_cause],
                now=now,
                cause=task_cause,
            )
        )
        for person in people
    )


def _database_systems(rule: RetentionRule) -> list[System]:
    record_type = registry.get(rule.record_type)
    categories = every_category()
    found = {
        system.pk: system
        for kind in sorted(record_type.person_kinds)
        for system in systems_holding(kind=kind, categories=categories)
        if system.connector == Connector.DATABASE
    }
    return list(found.values())


def capture_for_databases(*, run: PurgeRun, rule: RetentionRule, subject_ids: list[int]) -> None:
    """Before a purge batch erases these people: how each system reached by SQL finds them,
    appended to the run's waiting task for the rule and system (in the batch's transaction)."""
    if not registry.get(rule.record_type).person_kinds:
        return
    systems = _database_systems(rule)
    if not systems:
        return
    people = []
    for person in DataSubject.objects.filter(pk__in=subject_ids).only(
        "work_email", "external_id", "work_phone"
    ):
        found = {
            "work_email": person.work_email or "",
            "external_id": person.external_id or "",
            "work_phone": person.work_phone or "",
        }
        if any(found.values()):
            people.append(found)
    if not people:
        return
    now = timezone.now()
    for system in systems:
        task = (
            SystemTask.objects.select_for_update()
            .filter(
                cause=TaskCause.RETENTION,
                system=system,
                purge_run=run.pk,
                rule_code=rule.code,
                status=TaskStatus.WAITING,
            )
            .first()
        )
        if task is None:
            SystemTask.objects.create(
                cause=TaskCause.RETENTION,
                system=system,
                kind=TaskKind.ACTION,
                operation=Operation.ERASE,
                connector=Connector.DATABASE,
                owner=system.owner,
                due_on=legal_today(now),
                status=TaskStatus.WAITING,
                purge_run=run.pk,
                rule_code=rule.code,
                payload={"cause": TaskCause.RETENTION, "people": people},
                created_at=now,
            )
        else:
            payload = dict(task.payload or {})
            payload["people"] = [*payload.get("people", []), *people]
            SystemTask.objects.filter(pk=task.pk).update(payload=payload)


def reach_systems_after_retention(*, run: PurgeRun, rule: RetentionRule, records: int) -> int:
    """One task per system holding the data of the kinds of people the rule removed in this
    run (one notice per recipient): apply the same rule to your copy. Returns how many."""
    record_type = registry.get(rule.record_type)
    if not record_type.person_kinds or not records:
        return 0
    categories = every_category()
    systems = {
        system.pk: system
        for kind in sorted(record_type.person_kinds)
        for system in systems_holding(kind=kind, categories=categories)
    }
    now = timezone.now()
    due_on = legal_today(now) + dt.timedelta(days=settings.SYSTEM_TASK_LEAD_DAYS)
    anchor = record_type.anchors.get(rule.anchor, rule.anchor)
    criterion = f"{rule.period} from {anchor}"
    cut_off = purge_cutoff(run.as_of, rule.period)
    retention = {
        "rule": rule.code,
        "name": rule.name,
        "criterion": criterion,
        "anchor": str(anchor),
        "legal_reference": rule.legal_reference,
        "cut_off": cut_off.isoformat(),
        "purged_on": run.as_of.isoformat(),
        "people": records,
        "subject_kinds": sorted(record_type.person_kinds),
    }
    note = (
        f"The nightly purge of {run.as_of:%d.%m.%Y} removed the data of {records} people under "
        f"the rule “{rule.name}” ({criterion}): the people for whom {anchor} was before "
        f"{cut_off:%d.%m.%Y}. "
        "Apply the same rule to this system's copy, then record what you did."
    )
    tasks = []
    captured = {
        task.system_id: task
        for task in SystemTask.objects.filter(
            cause=TaskCause.RETENTION,
            purge_run=run.pk,
            rule_code=rule.code,
            status=TaskStatus.WAITING,
        )
    }
    opened = []
    for system in systems.values():
        kind = task_kind_for(system, Operation.ERASE)
        if kind is None:
            continue
        if system.pk in captured:  # the portal erases the people it wrote down, by SQL
            task = captured[system.pk]
            task.status, task.due_on = TaskStatus.OPEN, due_on
            task.payload = {
                **(task.payload or {}),
                "operation": Operation.ERASE,
                "retention": retention,
                "note": note,
            }
            task.save(update_fields=["status", "due_on", "payload"])
            opened.append(task)
            continue
        tasks.append(
            SystemTask(
                cause=TaskCause.RETENTION,
                system=system,
                kind=kind,
                operation=Operation.ERASE,
                connector=system.connector,
                owner=system.owner,
                due_on=due_on,
                status=TaskStatus.OPEN,
                payload={
                    "reference": "",
                    "right": "",
                    "cause": TaskCause.RETENTION,
                    "operation": Operation.ERASE,
                    "kind": kind,
                    "due_on": due_on.isoformat(),
                    "categories": categories,
                    "retention": retention,
                    "note": note,
                },
                callback_nonce=new_nonce() if system.is_webhook else "",
                created_at=now,
            )
        )
    if not tasks and not opened:
        return 0
    created = SystemTask.objects.bulk_create(tasks) + opened
    notices = sum(1 for t in created if t.kind == TaskKind.NOTICE)
    record_event(
        action="request.system_tasks_created",
        actor="retention",
        target=rule,
        details={
            "cause": TaskCause.RETENTION,
            "run": run.pk,
            "rule": rule.code,
            "people": records,
            "tasks": len(created) - notices,
            "notices": notices,
        },
    )
    deliver_after_commit(created)
    return len(created)
