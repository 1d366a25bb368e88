"""When the nightly purge last succeeded, read on every page the DPO opens (the alarm), so
kept in the cache and forgotten by the purge when a run succeeds."""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache

from retention.models import PurgeRun

# The alarm is asked on every page the DPO opens (a query budget of ten): the last success's
# time is cached, and forgotten by the purge when a run succeeds.
LAST_SUCCESS_KEY = "retention:last-success-finished-at"
NEVER = "never"


def last_success_finished_at() -> dt.datetime | None:
    cached = cache.get(LAST_SUCCESS_KEY)
    if cached is None:
        last = PurgeRun.objects.succeeded().order_by("-finished_at").first()
        cached = last.finished_at if last is not None and last.finished_at else NEVER
        cache.set(LAST_SUCCESS_KEY, cached, 3600)
    return None if cached == NEVER else cached


def forget_last_success() -> None:
    cache.delete(LAST_SUCCESS_KEY)
