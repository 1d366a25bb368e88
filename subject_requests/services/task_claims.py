"""A system's task is delivered or carried out by one worker at a time.

The worker claims the task with a conditional UPDATE (a token of its own in `claimed_by`) and
beats while it works (`core.heartbeat`): a second delivery of the same message — the broker's,
a retry's, a DPO's — finds the claim alive and does nothing, so an erasure in a system's
database never runs twice at once. A worker that is killed stops beating; two minutes later
the request page offers the DPO to take the task over, and a message delivered again claims it
by itself. The work is resumable (an erasure keeps its plan and its committed batches on the
task), so the worker that takes over finishes what the stopped one left.

Where the work goes: a system reached by SQL is the platform connector's, on its own queue
(`carry_out_platform_task`, which may run for long after a purge); a webhook call or an Art. 19
e-mail is a delivery (`deliver_system_task`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from core.audit import Actor
from core.heartbeat import beating
from processing.models import Connector
from subject_requests import guards
from subject_requests.models import SystemTask
from subject_requests.services.common import (
    RequestError,
    audit_task,
    note_on_task,
    refuse_unless_allowed,
    require,
)
from subject_requests.services.systems import Delivery, deliver


def queue_deliveries(tasks: Iterable[SystemTask]) -> None:
    """Each task's delivery to its queue (`privacyops.queues`), now: call it after commit."""
    from subject_requests.tasks import carry_out_platform_task, deliver_system_task

    for task in tasks:
        job = (
            carry_out_platform_task if task.connector == Connector.DATABASE else deliver_system_task
        )
        job.delay(task.pk)


def claim_task(task_id: int, *, now: dt.datetime) -> str | None:
    """The claim's token, or None: resolved, delivered, or claimed by a worker that beats."""
    token = uuid.uuid4().hex
    claimed = (
        SystemTask.objects.claimable(now=now)
        .filter(pk=task_id)
        .update(claimed_by=token, heartbeat_at=now)
    )
    return token if claimed else None


def deliver_claimed(*, task_id: int, now: dt.datetime | None = None) -> Delivery:
    """`deliver` under the task's claim: nothing while another worker's claim is alive."""
    now = now or timezone.now()
    token = claim_task(task_id, now=now)
    if token is None:
        return Delivery(status=SystemTask.objects.values_list("status", flat=True).get(pk=task_id))
    mine = SystemTask.objects.filter(pk=task_id, claimed_by=token)
    try:
        with beating(lambda: bool(mine.update(heartbeat_at=timezone.now()))):
            return deliver(task_id=task_id, now=now)
    finally:
        # After the outcome is saved: a resolved task is claimable by nobody, an open one
        # (a retry later) by the next attempt.
        mine.update(claimed_by="", heartbeat_at=None)


@transaction.atomic
def take_over_task(*, task: SystemTask, actor: Actor, now: dt.datetime | None = None) -> SystemTask:
    """Carry out again a task whose worker stopped beating, without waiting hours for the
    broker to hand its message out again (`privacyops.queues`)."""
    require(actor, "requests.decide")
    now = now or timezone.now()
    task = SystemTask.objects.select_related("system", "request").get(pk=task.pk)
    refuse_unless_allowed(guards.can_take_over_task(task, now))
    stopped = task.heartbeat_at
    # Conditional, so of two DPOs pressing at once one takes it over and the other is told.
    if (
        not SystemTask.objects.stalled(now=now)
        .filter(pk=task.pk)
        .update(claimed_by="", heartbeat_at=None)
    ):
        raise RequestError("Someone else has just taken it over, or its worker is alive again.")
    task.claimed_by, task.heartbeat_at = "", None
    note_on_task(
        task,
        actor=actor,
        now=now,
        summary=f"{task.system.name}: its worker stopped; taken over and carried out again",
    )
    audit_task(
        "request.system_task_taken_over",
        actor=actor,
        task=task,
        last_heartbeat=stopped.isoformat() if stopped else None,
    )
    transaction.on_commit(lambda: queue_deliveries([task]))
    return task
