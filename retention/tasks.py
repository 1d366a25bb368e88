from __future__ import annotations

import logging

from celery import shared_task

from core.timeutil import legal_today
from retention.ledger import export_missing
from retention.models import PurgeRunStatus
from retention.services.purge import SYSTEM_ACTOR, run_purge

logger = logging.getLogger(__name__)


# On the `purge` queue, for up to four hours (privacyops.queues). The purge commits per batch
# and a rerun finishes what a killed run left.
@shared_task(name="retention.tasks.nightly_purge")
def nightly_purge() -> int:
    """Purge as of today in Tallinn: a night that was missed is caught up by the next run,
    since everything with `expires_on` before today is due whatever day it expired."""
    run = run_purge(as_of=legal_today(), dry_run=False, actor=SYSTEM_ACTOR)
    if run.status == PurgeRunStatus.SKIPPED:
        # The run's page lists it as skipped; the worker's log, which shows the task as
        # done, says so too.
        logger.warning("nightly purge #%d skipped: %s", run.pk, run.note)
    return run.pk


@shared_task(name="retention.tasks.export_erasure_ledger")
def export_erasure_ledger() -> int:
    """Entries whose process died between their erasure's commit and their append reach the
    copy outside the database (`retention.ledger`)."""
    return export_missing()
