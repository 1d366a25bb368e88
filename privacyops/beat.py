"""The beat schedule, in one place. Stored with django-celery-beat so Admin can change a
time in the admin; seeding creates missing entries, found by their task (an Admin may rename
one), and never overwrites an existing one.
Times are Europe/Tallinn."""

from __future__ import annotations

from retention.pause import NIGHTLY_PURGE, NIGHTLY_PURGE_TASK
from subject_requests.models import DUE_SOON_DAYS

SCHEDULE: dict[str, dict[str, str]] = {
    NIGHTLY_PURGE: {
        "task": NIGHTLY_PURGE_TASK,
        "hour": "2",
        "minute": "0",
        # 02:00 is outside the DST change hour (03:00-04:00 in Tallinn), so it runs exactly
        # once every night; the task purges as of today, so a missed night is caught up.
        "why": "Delete or anonymise data whose retention period has run out (GDPR Art. 5(1)(e)).",
    },
    "hourly-erasure-ledger-export": {
        "task": "retention.tasks.export_erasure_ledger",
        "hour": "*",
        "minute": "20",
        # Every hour, so an erasure whose process died between its commit and its append to
        # the copy is in the copy within the hour; at :20, clear of the purge's 02:00 start.
        "why": "Copy erasure ledger entries to the copy outside the database, so that a "
        "restored backup can replay them.",
    },
    "daily-log-partitions": {
        "task": "core.tasks.make_partitions_ahead",
        "hour": "4",
        "minute": "15",
        # Daily, though a month's partition is needed only once: made three months ahead, a
        # failure is retried for three months before a row falls into the DEFAULT partition.
        # 04:15 is after the DST change hour (03:00-04:00 in Tallinn) and clear of the purge.
        "why": "Make the audit log's and the consent ledger's monthly partitions ahead "
        "(PostgreSQL); a month that cannot be made is logged as an error.",
    },
    "daily-audit-verification": {
        "task": "core.tasks.verify_audit",
        "hour": "5",
        "minute": "0",
        # After the nightly purge (02:00) has written its summaries, so they are checked the
        # same morning; the DPO sees a break as a red alarm at the start of the working day.
        "why": "Walk the audit log's hash chain; a broken link raises the DPO's alarm (Art. 5(2)).",
    },
    "daily-audit-head-export": {
        "task": "core.tasks.export_audit_head",
        "hour": "5",
        "minute": "30",
        # After the morning's check and the night's purge, so their events are covered the same
        # morning; what is recorded later waits for tomorrow's export (docs/operations.md).
        "why": "Append the audit chain's head to the file outside the database "
        "(AUDIT_HEAD_EXPORT) that `verify_audit --against` compares the log with.",
    },
    "daily-information-notices": {
        "task": "consent.tasks.send_information_notices",
        "hour": "6",
        "minute": "30",
        "why": "Send Art. 14 notices to people whose data did not come from them (within a month).",
    },
    "daily-request-reminders": {
        "task": "subject_requests.tasks.daily_reminders",
        "hour": "7",
        "minute": "0",
        # Before the working day starts, so assignees see it first thing.
        "why": f"Remind assignees of requests due within {DUE_SOON_DAYS} days or overdue; close "
        "unverified ones.",
    },
}
