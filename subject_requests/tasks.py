"""Celery tasks: each fetches by id and calls a service. Messages carry ids only."""

from __future__ import annotations

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded


# Closing unverified requests and one reminder per assignee: minutes even with a backlog.
@shared_task(name="subject_requests.tasks.daily_reminders", soft_time_limit=1800, time_limit=1860)
def daily_reminders() -> dict[str, int]:
    from subject_requests.services.reminders import run_daily_reminders

    return run_daily_reminders()


# One letter: an SMTP conversation. A soft limit stops a hung server; the retry sends it
# once more (the claim is released on failure, see `deliver_letter`).
@shared_task(
    name="subject_requests.tasks.send_request_letter",
    autoretry_for=(OSError, SoftTimeLimitExceeded),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=60,
    time_limit=90,
)
def send_request_letter(entry_id: int) -> bool:
    from subject_requests.letters import deliver_letter

    return deliver_letter(entry_id=entry_id)
