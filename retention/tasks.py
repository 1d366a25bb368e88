from __future__ import annotations

import logging

from celery import shared_task

from core.timeutil import legal_today
from retention.ledger import export_missing
from retention.models import PurgeRunStatus
from retention.services.purge import SYSTEM_ACTOR, run_purge

logger = logging.getLogger(__name__)


# A million expired people purge in ~80 s (bench/purge.py); four hours leave room for a
# backlog. The purge commits per batch and a rerun finishes what a killed run left.
@shared_task(
    name="retention.tasks.nightly_purge", soft_time_limit=4 * 3600, time_limit=4 * 3600 + 300
)
def nightly_purge() -> int:
    """Purge as of today in Tallinn: a night that was missed is caught up by the next run,
    since everything with `expires_on` before today is due whatever day it expired."""
    run = run_purge(as_of=legal_today(), dry_run=False, actor=SYSTEM_ACTOR)
    if run.status == PurgeRunStatus.SKIPPED:
        # The run's page lists it as skipped; the worker's log, which shows the task as
        # done, says so too.
        logger.warning("nightly purge #%d skipped: %s", run.pk, run.note)
    return run.pk


# Reads two days of the ledger's copy (ids only: a night's purge of a million people is 200
# lines of ~35 kB) and appends the few entries it lacks: seconds.
@shared_task(name="retention.tasks.export_erasure_ledger", soft_time_limit=600, time_limit=660)
def export_erasure_ledger() -> int:
    """Entries whose process died between their erasure's commit and their append reach the
    copy outside the database (`retention.ledger`)."""
    return export_missing()
