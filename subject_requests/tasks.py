"""Celery tasks: each fetches by id and calls a service. Messages carry ids only. Each task's
queue and time limits are in one table, `privacyops.queues`."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded


@shared_task(name="subject_requests.tasks.daily_reminders")
def daily_reminders() -> dict[str, int]:
    from subject_requests.services.reminders import run_daily_reminders

    return run_daily_reminders()


# One letter. A soft limit stops a hung server; the retry sends it once more (the claim is
# released on failure, see `deliver_letter`).
@shared_task(
    name="subject_requests.tasks.send_request_letter",
    autoretry_for=(OSError, SoftTimeLimitExceeded),
    retry_backoff=True,
    max_retries=5,
)
def send_request_letter(entry_id: int) -> bool:
    from subject_requests.letters import deliver_letter

    return deliver_letter(entry_id=entry_id)


# The `reports` queue has a worker of its own (docker-compose.yml), so a long report never
# waits behind letters or delays the nightly purge.
@shared_task(name="subject_requests.tasks.build_answer_task")
def build_answer_task(answer_id: int) -> bool:
    from subject_requests.services.answers import run_answer_build

    return run_answer_build(answer_id=answer_id)


def _deliver(job: Task[Any, Any], task_id: int) -> str:
    from subject_requests.services.task_claims import deliver_claimed

    outcome = deliver_claimed(task_id=task_id)
    # Run inline (CELERY_TASK_ALWAYS_EAGER) a countdown cannot wait: the task stays open with
    # its next attempt time and the DPO's "send again".
    if outcome.retry_in is not None and not job.request.is_eager:
        raise job.retry(countdown=outcome.retry_in)
    return outcome.status


# One delivery attempt to a system outside the portal: a signed HTTPS call or an Art. 19
# e-mail. A failure is retried with exponential backoff (`services.systems.retry_delay`) until
# WEBHOOK_MAX_ATTEMPTS; then the task shows as failed.
@shared_task(bind=True, name="subject_requests.tasks.deliver_system_task", max_retries=None)
def deliver_system_task(self: Task[Any, Any], task_id: int) -> str:
    return _deliver(self, task_id)


# The same for a system the portal reaches by SQL: the portal finds or erases the person in
# the system's own database, on a queue of its own (a purge night's erasures may take long).
@shared_task(bind=True, name="subject_requests.tasks.carry_out_platform_task", max_retries=None)
def carry_out_platform_task(self: Task[Any, Any], task_id: int) -> str:
    return _deliver(self, task_id)


# Telling a webhook system that a question it was sent is withdrawn: tried like a delivery,
# with the same backoff, until WEBHOOK_MAX_ATTEMPTS; the last failure is noted on the request.
@shared_task(bind=True, name="subject_requests.tasks.tell_task_withdrawn", max_retries=None)
def tell_task_withdrawn(self: Task[Any, Any], task_id: int, why: str) -> bool:
    from subject_requests.services.systems import retry_delay
    from subject_requests.services.task_withdrawal import tell_withdrawn

    attempt = self.request.retries or 0
    finished = tell_withdrawn(task_id=task_id, why=why, attempt=attempt)
    if not finished and not self.request.is_eager:
        raise self.retry(countdown=retry_delay(attempt + 1))
    return finished
