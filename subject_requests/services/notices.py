"""E-mails to the people and mailboxes behind systems outside the portal: an Art. 19 notice to
a recipient's contact, and the daily list of open tasks to each system owner. Staff words,
in the portal's language."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from core.audit import record_event
from core.timeutil import legal_today
from subject_requests.choices import TaskKind, TaskStatus
from subject_requests.models import ReminderSent, SystemTask

logger = logging.getLogger(__name__)

JOB = "daily-reminders"
NOTICE = "subject_requests/emails/systems/notice"
REMINDER = "subject_requests/emails/systems/reminder"


def _message(template: str, context: dict[str, Any], to: str) -> EmailMultiAlternatives:
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string(f"{template}.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[to],
            reply_to=[settings.PRIVACY_CONTACT_EMAIL],
        )
        message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message


def send_notice_email(task: SystemTask) -> tuple[bool, str]:
    """GDPR Art. 19 to a manual recipient: what changed about whom, for their copy."""
    address = task.system.contact_email
    if not address:
        return False, "the recipient has no contact e-mail in the register"
    payload = task.payload or {}
    with translation.override(settings.LANGUAGE_CODE):  # the recipient's notice: in English
        operation = task.what
    context = {
        "task": task,
        "system": task.system,
        # An erasure no request started is referred to by its task.
        "reference": task.request.reference if task.request else f"TASK-{task.pk}",
        "operation": operation,
        "person": payload.get("person", {}),
        "changes": payload.get("changes", {}),
        # A purge run's people whose period ended: the rule, not a person (`erasure_reach`).
        "retention": _retention_context(payload.get("retention")),
        "controller": settings.PRIVACY_CONTROLLER_NAME,
        "contact": settings.PRIVACY_CONTACT_EMAIL,
    }
    try:
        accepted = _message(NOTICE, context, address).send()
    except OSError as exc:
        return False, f"{type(exc).__name__}: {exc}"
    return bool(accepted), "" if accepted else "not accepted by the mail server"


def _retention_context(retention: dict[str, Any] | None) -> dict[str, Any] | None:
    if not retention:
        return None
    days = {key: dt.date.fromisoformat(retention[key]) for key in ("purged_on", "cut_off")}
    return {**retention, **days}


def owners_open_tasks(*, today: dt.date) -> dict[int, list[SystemTask]]:
    tasks = (
        SystemTask.objects.filter(
            status=TaskStatus.OPEN,
            kind=TaskKind.ACTION,
            connector="manual",
            owner__isnull=False,
            owner__is_active=True,
        )
        .select_related("system", "request", "owner")
        .order_by("due_on", "id")
    )
    by_owner: dict[int, list[SystemTask]] = {}
    for task in tasks:
        assert task.owner_id is not None
        by_owner.setdefault(task.owner_id, []).append(task)
    return by_owner


def send_task_reminders(*, now: dt.datetime) -> int:
    """One e-mail a day to each system owner with open tasks, listing them."""
    today = legal_today(now)
    sent = 0
    tasks_url = f"{settings.SITE_URL}{reverse('subject_requests:system_tasks')}"
    for owner_id, tasks in owners_open_tasks(today=today).items():
        owner = tasks[0].owner
        try:
            with transaction.atomic():
                ReminderSent.objects.create(
                    assignee_id=owner_id,
                    sent_on=today,
                    kind="system_tasks",
                    overdue=sum(1 for t in tasks if t.due_on < today),
                    due_soon=len(tasks),
                    created_at=now,
                )
                if owner is not None and owner.email:
                    context = {"user": owner, "tasks": tasks, "today": today, "url": tasks_url}
                    _message(
                        "subject_requests/emails/systems/reminder", context, owner.email
                    ).send()
                record_event(
                    action="request.system_task_reminder_sent",
                    actor=JOB,
                    target_type=get_user_model()._meta.label_lower,
                    target_id=owner_id,
                    details={"open": len(tasks)},
                )
        except IntegrityError:
            continue
        sent += 1
    logger.info("system owners reminded: %s", sent)
    return sent
