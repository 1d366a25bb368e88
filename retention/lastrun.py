"""Whether the nightly purge is late: no run has succeeded for `ALARM_AFTER`. Asked on every
page the DPO opens (the alarm), so the answer "not late before T" is kept in the cache.

It needs no forgetting: a later success only moves T later, so "not late" stays true until T
whatever runs meanwhile, and from T on the runs are read again. A late purge is never kept —
each page reads the runs, so the alarm goes the moment a run succeeds. The purge itself never
touches the cache: it runs in a process of its own, whose memory a cache client would weigh on
(redis-py brings its asyncio and cluster modules, ~20 MB).
"""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache

from retention.models import PurgeRun

# The alarm is asked on every page the DPO opens (a query budget of ten).
NOT_LATE_BEFORE_KEY = "retention:purge-not-late-before"
ALARM_AFTER = dt.timedelta(hours=36)


def purge_is_late(*, now: dt.datetime, installed_at: dt.datetime | None) -> bool:
    """No purge has succeeded for 36 hours — counting, on a portal that has never purged,
    from `installed_at` (when its retention tables were created), so that a fresh install is
    not in alarm."""
    not_late_before = cache.get(NOT_LATE_BEFORE_KEY)
    if not_late_before is not None and now <= not_late_before:
        return False
    last = PurgeRun.objects.succeeded().order_by("-finished_at").first()
    since = last.finished_at if last is not None and last.finished_at else installed_at
    if since is None:
        return True
    late_from = since + ALARM_AFTER
    if now > late_from:
        return True
    cache.set(NOT_LATE_BEFORE_KEY, late_from, int((late_from - now).total_seconds()) + 1)
    return False
