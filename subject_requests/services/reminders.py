"""The daily job: close requests nobody verified, then remind each assignee, and each owner of
a system with open tasks, once a day."""

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
from django.utils import timezone

from core.audit import record_event
from core.timeutil import legal_today
from subject_requests.choices import Status
from subject_requests.models import DUE_SOON_DAYS, ReminderSent, SubjectRequest
from subject_requests.services.common import lock
from subject_requests.services.identity import VERIFICATION_LINK_DAYS
from subject_requests.services.workflow import move

logger = logging.getLogger(__name__)

JOB = "daily-reminders"
# Each closure sends a letter in its own transaction; 200 keeps a batch well under a second.
CLOSE_BATCH = 200

CLOSE_REASON = (
    "We could not confirm your identity: the verification link we sent was not followed "
    f"within {VERIFICATION_LINK_DAYS} days. You are welcome to send a new request."
)


def unverified_to_close(*, now: dt.datetime) -> Any:
    """Awaiting identity, link sent more than 7 days ago and never followed. Not one the DPO
    paused to ask for identity documents (Art. 12(6)): that waits for the requester's answer,
    and the DPO decides when to close it."""
    cutoff = now - dt.timedelta(days=VERIFICATION_LINK_DAYS)
    return SubjectRequest.objects.unverified_since(cutoff=cutoff).filter(
        email_confirmed_at__isnull=True, paused_since__isnull=True
    )


def close_unverified_requests(*, now: dt.datetime) -> int:
    closed = 0
    seen: set[int] = set()
    while True:
        ids = [
            pk
            for pk in unverified_to_close(now=now)
            .order_by("pk")
            .values_list("pk", flat=True)[: CLOSE_BATCH + len(seen)]
            if pk not in seen
        ][:CLOSE_BATCH]
        if not ids:
            return closed
        for pk in ids:
            seen.add(pk)
            with transaction.atomic():
                # Re-checked under the lock: the requester may have clicked meanwhile.
                if not unverified_to_close(now=now).filter(pk=pk).exists():
                    continue
                request = lock(SubjectRequest(pk=pk))
                move(request, to=Status.CLOSED_UNVERIFIED, actor=JOB, now=now, reason=CLOSE_REASON)
                closed += 1


def send_reminders(*, now: dt.datetime) -> int:
    today = legal_today(now)
    open_requests = SubjectRequest.objects.open().filter(
        assignee__isnull=False, assignee__is_active=True
    )
    overdue = open_requests.overdue(now=now)
    due_soon = open_requests.due_soon(now=now)
    assignee_ids = sorted(
        set(overdue.values_list("assignee_id", flat=True))
        | set(due_soon.values_list("assignee_id", flat=True))
    )
    sent = 0
    for user in get_user_model().objects.filter(pk__in=assignee_ids).order_by("pk"):
        theirs_overdue = list(overdue.filter(assignee=user).order_by("target_at", "id"))
        theirs_soon = list(due_soon.filter(assignee=user).order_by("target_at", "id"))
        try:
            with transaction.atomic():
                # The unique row is the claim: a second run the same day finds it and stops.
                ReminderSent.objects.create(
                    assignee=user,
                    sent_on=today,
                    due_soon=len(theirs_soon),
                    overdue=len(theirs_overdue),
                    created_at=now,
                )
                if user.email:
                    _reminder(user, theirs_overdue, theirs_soon, now=now).send()
                record_event(
                    action="request.reminder_sent",
                    actor=JOB,
                    target_type="auth.user",
                    target_id=user.pk,
                    details={"overdue": len(theirs_overdue), "due_soon": len(theirs_soon)},
                )
        except IntegrityError:
            continue
        sent += 1
    return sent


def _reminder(
    user: Any, overdue: list[SubjectRequest], due_soon: list[SubjectRequest], *, now: dt.datetime
) -> EmailMultiAlternatives:
    def rows(requests: list[SubjectRequest]) -> list[dict[str, Any]]:
        return [
            {
                "reference": r.reference,
                "right": r.get_type_display(),
                "status": r.get_status_display(),
                "due_on": r.due_on(now),
                "target_on": r.target_on(now),
                "url": f"{settings.SITE_URL}{r.get_absolute_url()}",
            }
            for r in requests
        ]

    context = {
        "user": user,
        "overdue": rows(overdue),
        "due_soon": rows(due_soon),
        "within_days": DUE_SOON_DAYS,
        "queue_url": f"{settings.SITE_URL}{reverse('subject_requests:queue')}",
    }
    subject = " ".join(render_to_string("emails/requests/reminder_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/requests/reminder.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )
    message.attach_alternative(
        render_to_string("emails/requests/reminder.html", context), "text/html"
    )
    return message


def run_daily_reminders(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Safe to run twice: closures are claimed under a lock and reminders by a unique row."""
    now = now or timezone.now()
    from subject_requests.services.notices import send_task_reminders

    closed = close_unverified_requests(now=now)
    reminded = send_reminders(now=now)
    owners = send_task_reminders(now=now)
    logger.info("daily reminders: %s closed unverified, %s assignees reminded", closed, reminded)
    return {"closed_unverified": closed, "reminded": reminded, "system_owners_reminded": owners}
