"""The breach register's job: the Art. 34 letters, sent in batches."""

from __future__ import annotations

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded


# A batch of letters; the rest goes in the next run, which the task enqueues itself while
# people are left. Its queue and time limits: privacyops.queues.
@shared_task(
    # The name it was queued under before the register had its own app: batches already
    # in the queue still find their task.
    name="subject_requests.tasks.send_breach_letters",
    autoretry_for=(OSError, SoftTimeLimitExceeded),
    retry_backoff=True,
    max_retries=5,
)
def send_breach_letters(breach_id: int) -> int:
    from breaches.letters import letters_waiting, send_people_letters

    sent = send_people_letters(breach_id)
    if sent and letters_waiting(breach_id):
        send_breach_letters.delay(breach_id)
    return sent
