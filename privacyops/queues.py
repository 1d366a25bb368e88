"""Which queue each Celery task runs on and how long it may run: one table, `JOBS`, from which
the settings take the routes, the time limits and the Redis broker's visibility timeout.

Each workload has a queue of its own, consumed by a worker of its own in production
(`docker-compose.yml`), so one never starves another: a four-hour purge or an hour of notices
does not hold up a sign-in link, an answer document or a platform erasure. The development
worker (`Procfile`) consumes them all.

Redis hands a message that is not acknowledged within the visibility timeout to another worker
(tasks are acknowledged when they end, `CELERY_TASK_ACKS_LATE`): below the longest task's hard
limit, a task still running would be run a second time. So the timeout is derived from the
table, `VISIBILITY_TIMEOUT`, and cannot drift from it. It is one value for the whole broker:
whichever worker restores unacknowledged messages uses its own, so a shorter one per queue
would hand out the purge's message too. The price is that the message of a worker killed
outright comes back only that much later; the long jobs do not wait for it: each claims its
row with a heartbeat (`core.heartbeat`), and a claim whose heartbeat stopped is taken over by
the DPO's button or by the next delivery, whichever comes first.

Soft limit: `SoftTimeLimitExceeded` raised inside the task, which stops between batches (each
commits on its own, and a rerun finishes the rest) or marks its work failed. Hard limit: the
worker kills the process.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MINUTE = 60
HOUR = 60 * MINUTE

# The default queue keeps Celery's name, so messages queued before the routes existed are
# still consumed by its worker.
HOUSEKEEPING = "celery"
# One message each that a person or a system waits for: a letter, a sign-in link, a webhook.
DELIVERIES = "deliveries"
# Mail to many people in batches: Art. 14 and policy notices, a breach's Art. 34 letters.
NOTICES = "notices"
REPORTS = "reports"
PURGE = "purge"
IMPORTS = "imports"
# Work the portal carries out in a system's own database (`processing.databases`).
PLATFORM = "platform"
QUEUES = (HOUSEKEEPING, DELIVERIES, NOTICES, REPORTS, PURGE, IMPORTS, PLATFORM)


@dataclass(frozen=True)
class Job:
    queue: str
    soft_time_limit: int  # seconds
    time_limit: int  # seconds: the hard limit


# One message: an SMTP conversation or an HTTPS call (connect 5 s, read
# WEBHOOK_TIMEOUT_SECONDS). The soft limit stops a hung server; a retry sends it again.
ONE_MESSAGE = Job(DELIVERIES, MINUTE, 90)
# Notices go in batches of 200 (~1 s each): an hour covers a million people.
BULK_NOTICES = Job(NOTICES, HOUR, HOUR + MINUTE)
# A report of thousands of records lays out in seconds (bench/report.py: 5.8 s at 2 000);
# five minutes means something is wrong, and the DPO sees it failed.
DOCUMENT = Job(REPORTS, 5 * MINUTE, 5 * MINUTE + 30)
# A CSV import's dry run or apply: batches of 5 000 rows of ~2-3 s each, progress recorded
# after each; 100 000 rows stay well inside ten minutes.
IMPORT = Job(IMPORTS, 20 * MINUTE, 21 * MINUTE)

JOBS: dict[str, Job] = {
    "subject_requests.tasks.send_request_letter": ONE_MESSAGE,
    # The names the self-service and breach tasks were queued under before those had apps of
    # their own: messages already in the queue still find their task.
    "subject_requests.tasks.send_sign_in_link": ONE_MESSAGE,
    # Asking for a sign-in link: the lookup, the link and its audit event.
    "selfservice.tasks.issue_sign_in_link": ONE_MESSAGE,
    "subject_requests.tasks.deliver_system_task": ONE_MESSAGE,
    "subject_requests.tasks.tell_task_withdrawn": ONE_MESSAGE,
    "consent.tasks.send_information_notices": BULK_NOTICES,
    "consent.tasks.send_policy_notices_task": BULK_NOTICES,
    # A batch of letters (each an SMTP conversation and a small PDF); the task queues the next
    # batch itself while people are left.
    "subject_requests.tasks.send_breach_letters": Job(NOTICES, 10 * MINUTE, 11 * MINUTE),
    "subject_requests.tasks.build_answer_task": DOCUMENT,
    # The person's own copy: the same reports as the DPO's, with the same limits.
    "subject_requests.tasks.build_selfservice_copy": DOCUMENT,
    # A million expired people purge in ~80 s (bench/purge.py); four hours leave room for a
    # backlog. The purge commits per batch and a rerun finishes what a killed run left.
    "retention.tasks.nightly_purge": Job(PURGE, 4 * HOUR, 4 * HOUR + 5 * MINUTE),
    "consent.tasks.check_import_task": IMPORT,
    "consent.tasks.apply_import_task": IMPORT,
    # One person's erasure in a system's database takes 0.24 s, 10 000 people a purge removed
    # 18 s (bench/platform_db.py at a million users): an hour covers a night of two million.
    # The plan is kept after each batch, so a rerun resumes it.
    "subject_requests.tasks.carry_out_platform_task": Job(PLATFORM, HOUR, HOUR + MINUTE),
    # Closing unverified requests and one reminder per assignee: minutes even with a backlog.
    "subject_requests.tasks.daily_reminders": Job(HOUSEKEEPING, 30 * MINUTE, 31 * MINUTE),
    # Two days of the ledger's copy (ids only: a night's purge of a million people is 200
    # lines of ~35 kB) and the few entries it lacks: seconds.
    "retention.tasks.export_erasure_ledger": Job(HOUSEKEEPING, 10 * MINUTE, 11 * MINUTE),
    # The chain's walk checks ~68 000 events per second (146 s for ten million on PostgreSQL,
    # bench/audit_log.py): an hour leaves room for a log twenty times that size. The export
    # walks, then appends.
    "core.tasks.verify_audit": Job(HOUSEKEEPING, HOUR, HOUR + 5 * MINUTE),
    "core.tasks.export_audit_head": Job(HOUSEKEEPING, HOUR, HOUR + 5 * MINUTE),
    # A few empty tables made, each waiting at most 5 s for its lock (core.partitions).
    "core.tasks.make_partitions_ahead": Job(HOUSEKEEPING, 2 * MINUTE, 150),
    # One person's erasure: a few statements.
    "consent.tasks.erase_objecting_prospect_task": Job(HOUSEKEEPING, 2 * MINUTE, 150),
}

# Between the broker handing a message out and the worker starting its clock: the fetch, a
# pool process freeing up, clocks a little apart. A retry's countdown (at most an hour,
# `subject_requests.services.systems.retry_delay`) also waits unacknowledged, and is shorter.
VISIBILITY_MARGIN = 15 * MINUTE
VISIBILITY_TIMEOUT = max(job.time_limit for job in JOBS.values()) + VISIBILITY_MARGIN

TASK_ROUTES: dict[str, dict[str, str]] = {name: {"queue": job.queue} for name, job in JOBS.items()}
# Set on each task when the app binds it, as if its decorator had said so.
TASK_ANNOTATIONS: dict[str, dict[str, Any]] = {
    name: {"soft_time_limit": job.soft_time_limit, "time_limit": job.time_limit}
    for name, job in JOBS.items()
}
