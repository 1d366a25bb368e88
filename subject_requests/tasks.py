"""Celery tasks: each fetches by id and calls a service. Messages carry ids only."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="subject_requests.tasks.daily_reminders")
def daily_reminders() -> dict[str, int]:
    from subject_requests.services.reminders import run_daily_reminders

    return run_daily_reminders()


@shared_task(
    name="subject_requests.tasks.send_request_letter",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def send_request_letter(entry_id: int) -> bool:
    from subject_requests.letters import deliver_letter

    return deliver_letter(entry_id=entry_id)
