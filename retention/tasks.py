from __future__ import annotations

from celery import shared_task

from core.timeutil import legal_today
from retention.services.purge import SYSTEM_ACTOR, run_purge


# A million expired people purge in ~80 s (bench/purge.py); four hours leave room for a
# backlog. The purge commits per batch and a rerun finishes what a killed run left.
@shared_task(
    name="retention.tasks.nightly_purge", soft_time_limit=4 * 3600, time_limit=4 * 3600 + 300
)
def nightly_purge() -> int:
    """Purge as of today in Tallinn: a night that was missed is caught up by the next run,
    since everything with `expires_on` before today is due whatever day it expired."""
    run = run_purge(as_of=legal_today(), dry_run=False, actor=SYSTEM_ACTOR)
    return run.pk
