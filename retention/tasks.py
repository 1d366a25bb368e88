from __future__ import annotations

from celery import shared_task

from core.timeutil import legal_today
from retention.services.purge import SYSTEM_ACTOR, run_purge


@shared_task(name="retention.tasks.nightly_purge")
def nightly_purge() -> int:
    """Purge as of today in Tallinn: a night that was missed is caught up by the next run,
    since everything with `expires_on` before today is due whatever day it expired."""
    run = run_purge(as_of=legal_today(), dry_run=False, actor=SYSTEM_ACTOR)
    return run.pk
