"""The DPO dashboard in one read: each figure one aggregate query, a constant number in all
whatever the number of requests (a test counts them)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.cache import cache
from django.urls import reverse
from django.utils.translation import gettext as _

from breaches.models import Breach
from breaches.selectors import running_clocks
from core.timeutil import legal_today
from oversight import charts
from oversight.figures import (
    PER_RIGHT_MONTHS,
    Bar,
    Chart,
    consent_per_week,
    figures_per_right,
    open_by_days_left,
    open_by_status,
    open_tasks_per_system,
    people_by_storage,
    purged_per_night,
    received_per_week,
)
from processing.selectors import register_findings
from retention.periods import Period
from retention.preview import purge_preview_counts
from retention.selectors import tonights_as_of

# Tonight's purge counts run every rule's predicate over its table (~50 ms); a count five
# minutes old is as good for a dashboard, and the preview page itself stays live.
PURGE_COUNTS_CACHE_SECONDS = 300


def _purge_counts(as_of: dt.date) -> list[tuple[str, int]]:
    key = f"dashboard:purge-counts:{as_of.isoformat()}"
    counts: list[tuple[str, int]] | None = cache.get(key)
    if counts is None:
        counts = [(rule.name, count) for rule, count in purge_preview_counts(as_of=as_of)]
        cache.set(key, counts, PURGE_COUNTS_CACHE_SECONDS)
    return counts


def dashboard(*, now: dt.datetime) -> dict[str, Any]:
    queue = reverse("subject_requests:queue")
    by_status = [Bar(b.label, b.values, f"{queue}{b.url}") for b in open_by_status()]
    by_days_left = open_by_days_left(now=now)
    per_right = figures_per_right(now=now)
    previews = _purge_counts(tonights_as_of(now))
    return {
        "now": now,
        "open_total": sum(int(b.value) for b in by_status),
        "overdue": int(by_days_left[0].value),
        "clocks": running_clocks(now=now),
        "open_breaches": Breach.objects.open().count(),
        "findings": register_findings(today=legal_today(now)),
        "per_right": per_right,
        "per_right_period": Period(months=PER_RIGHT_MONTHS),
        "purge_total": sum(count for _rule, count in previews),
        "row_charts": [
            charts.rows(Chart("status", _("Open requests by status"), by_status)),
            charts.rows(Chart("days-left", _("Open requests by days left"), by_days_left)),
            charts.rows(
                Chart(
                    "median",
                    _("Median days to answer, per right (last 12 months)"),
                    # A right with no answer yet has no median: left out, not drawn as 0.
                    [
                        Bar(r.label, (r.median_days,))
                        for r in per_right
                        if r.median_days is not None
                    ],
                    unit=_("days"),
                )
            ),
            charts.rows(Chart("tasks", _("Open subtasks per system"), open_tasks_per_system())),
            charts.rows(Chart("storage", _("People by storage location"), people_by_storage())),
            charts.rows(
                Chart(
                    "purge",
                    _("Tonight's purge: records per rule"),
                    [Bar(name, (count,)) for name, count in previews],
                )
            ),
        ],
        "column_charts": [
            charts.columns(
                Chart(
                    "received",
                    _("Requests received per week (26 weeks)"),
                    received_per_week(now=now),
                )
            ),
            charts.columns(
                Chart(
                    "consent",
                    _("Consent withdrawals and objections per week (26 weeks)"),
                    consent_per_week(now=now),
                    series=[_("withdrawals"), _("objections")],
                )
            ),
            charts.columns(
                Chart(
                    "purged", _("Records purged per night (60 nights)"), purged_per_night(now=now)
                )
            ),
        ],
    }
