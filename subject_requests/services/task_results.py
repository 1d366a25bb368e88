"""How a system's task is resolved: by its owner (or a DPO) with evidence, by the system's
signed single-use completion call, and how a failed delivery is tried again."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from core.audit import Actor, user_of
from core.permissions import has_permission
from core.webhooks import read_callback_token, verify
from subject_requests.choices import UNRESOLVED_TASKS, TaskStatus
from subject_requests.models import SystemTask
from subject_requests.services.common import RequestError, audit_task, note_on_task
from subject_requests.services.systems import CALLBACK_PURPOSE, needs_delivery

RESOLUTIONS = (TaskStatus.DONE, TaskStatus.NOT_HELD)
EVIDENCE_MAX = 2000


def may_resolve(task: SystemTask, user: Any) -> bool:
    """The system's owner, or a DPO (who answers for the request)."""
    return (task.owner_id is not None and task.owner_id == getattr(user, "pk", None)) or (
        has_permission(user, "requests.decide")
    )


def _close(
    task_id: int, *, status: str, evidence: str, via: str, now: dt.datetime, **match: Any
) -> int:
    return int(
        SystemTask.objects.filter(pk=task_id, status__in=UNRESOLVED_TASKS, **match).update(
            status=status,
            evidence=evidence,
            completed_at=now,
            completed_via=via,
            callback_nonce="",
            payload=None,
            next_attempt_at=None,
        )
    )


@transaction.atomic
def resolve_task(
    *,
    task: SystemTask,
    status: str,
    evidence: str,
    actor: Actor,
    now: dt.datetime | None = None,
) -> SystemTask:
    """The owner (or a DPO) says what was done in the system, with evidence."""
    now = now or timezone.now()
    if not may_resolve(task, actor):
        raise RequestError("Only the system's owner or a DPO can resolve this task.")
    if status not in RESOLUTIONS:
        raise RequestError("Say whether it is done or whether the system holds no such data.")
    evidence = evidence.strip()
    if not evidence:
        raise RequestError("Describe what you did (or looked for): it is the evidence.")
    if len(evidence) > EVIDENCE_MAX:
        raise RequestError(f"Keep the evidence under {EVIDENCE_MAX} characters.")
    via = "owner" if task.owner_id == getattr(actor, "pk", None) else "dpo"
    if task.status == TaskStatus.WAITING:
        raise RequestError("This erasure waits until the kept data may go; it is sent then.")
    if not _close(task.pk, status=status, evidence=evidence, via=via, now=now):
        raise RequestError("This task is already resolved.")
    SystemTask.objects.filter(pk=task.pk).update(completed_by=user_of(actor))
    task.refresh_from_db()
    note_on_task(
        task,
        actor=actor,
        now=now,
        summary=f"{task.system.name}: {task.get_operation_display().lower()} — "
        f"{task.get_status_display().lower()}",
    )
    audit_task(
        "request.system_task_resolved",
        actor=actor,
        task=task,
        system=task.system_id,
        status=status,
    )
    return task


@transaction.atomic
def retry_task(*, task: SystemTask, actor: Actor, now: dt.datetime | None = None) -> SystemTask:
    """A DPO sends a failed task again (the system is back, its address corrected)."""
    now = now or timezone.now()
    if not has_permission(actor, "requests.decide"):
        raise RequestError("Only a DPO can send a task again.")
    updated = SystemTask.objects.filter(
        pk=task.pk, status=TaskStatus.FAILED, delivered_at__isnull=True
    ).update(status=TaskStatus.OPEN, attempts=0, last_error="", next_attempt_at=None)
    if not updated:
        raise RequestError("Only a task whose delivery failed can be sent again.")
    task.refresh_from_db()
    audit_task("request.system_task_retried", actor=actor, task=task)
    if needs_delivery(task):
        from subject_requests.services.task_claims import queue_deliveries

        transaction.on_commit(lambda: queue_deliveries([task]))
    return task


# --- the system's completion call ------------------------------------------------------------


class CallbackRefused(Exception):
    """Refused, with the HTTP status and the JSON body to answer."""

    def __init__(self, status: int, error: str, field: str = "") -> None:
        super().__init__(error)
        self.status, self.error, self.field = status, error, field

    def body(self) -> dict[str, str]:
        return {"error": self.error, **({"field": self.field} if self.field else {})}


@dataclass(frozen=True)
class CallbackDone:
    task: SystemTask


def _read_body(body: bytes) -> tuple[str, str]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CallbackRefused(400, "The body is not JSON.") from None
    if not isinstance(data, dict):
        raise CallbackRefused(400, "The body must be a JSON object.")
    status = data.get("status", TaskStatus.DONE)
    if status not in RESOLUTIONS:
        raise CallbackRefused(400, "status must be 'done' or 'not_held'.", "status")
    evidence = data.get("evidence", "")
    if not isinstance(evidence, str) or len(evidence) > EVIDENCE_MAX:
        raise CallbackRefused(
            400, f"evidence must be text of at most {EVIDENCE_MAX} characters.", "evidence"
        )
    return status, evidence.replace("\x00", "").strip()


def complete_by_callback(
    *, token: str, body: bytes, headers: Mapping[str, str], now: dt.datetime | None = None
) -> CallbackDone:
    """The system calls its task's completion link, signed with its secret as Standard
    Webhooks says (`headers`): once only."""
    now = now or timezone.now()
    try:
        task_id, nonce = read_callback_token(
            token,
            purpose=CALLBACK_PURPOSE,
            max_age=dt.timedelta(days=settings.WEBHOOK_CALLBACK_DAYS),
        )
    except signing.SignatureExpired:
        raise CallbackRefused(410, "This completion link has expired.") from None
    except signing.BadSignature:
        raise CallbackRefused(404, "No such completion link.") from None
    task = SystemTask.objects.select_related("system", "request").filter(pk=task_id).first()
    if task is None:
        raise CallbackRefused(404, "No such completion link.")
    if not verify(secrets=task.system.verifying_secrets, headers=headers, body=body, now=now):
        raise CallbackRefused(
            401, "The Standard Webhooks signature does not match the body, id and timestamp."
        )
    status, evidence = _read_body(body)
    with transaction.atomic():
        evidence = evidence or "Confirmed by the system's signed completion call."
        if not _close(
            task_id, status=status, evidence=evidence, via="callback", now=now, callback_nonce=nonce
        ):
            raise CallbackRefused(410, "This completion link has been used already.")
        task.refresh_from_db()
        note_on_task(
            task,
            actor="system-tasks",
            now=now,
            summary=f"{task.system.name} confirmed: {task.get_operation_display().lower()} — "
            f"{task.get_status_display().lower()}",
        )
        audit_task(
            "request.system_task_confirmed",
            actor=f"system:{task.system_id}",
            task=task,
            status=status,
        )
    return CallbackDone(task=task)
