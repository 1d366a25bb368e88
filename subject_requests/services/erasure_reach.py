"""Every erasure reaches the systems that hold the person's data, whatever started it (GDPR
Art. 17(1)(c), 17(2), 19, 28; issue 22, item 7).

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
prospects more than the purge itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.utils import timezone

from core.audit import record_event
from core.timeutil import legal_today
from core.webhooks import new_nonce
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
    for system in systems.values():
        kind = task_kind_for(system, Operation.ERASE)
        if kind is None:
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
    if not tasks:
        return 0
    created = SystemTask.objects.bulk_create(tasks)
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
