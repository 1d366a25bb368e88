"""The one definition of the retention boundary: data is kept until anchor + period.

`expires_on = anchor + period` in calendar arithmetic (`relativedelta`), and a purge as of
day D removes what has `expires_on < D`. The set-based form needs the same test as a
condition on the anchor column: `purge_cutoff(D, period)` is the first anchor that is *not*
yet expired, so `anchor + period < D  ⇔  anchor < purge_cutoff(D, period)` exactly, even
where month-end clamping makes `anchor + period` equal for several anchors (29 February,
31 January + 1 month).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.timeutil import legal_zone

ONE_DAY = dt.timedelta(days=1)

# The nightly job's hour in Tallinn (privacyops/beat.py); "tonight's purge" runs as of the
# legal date of the next 02:00.
NIGHTLY_HOUR = 2


@dataclass(frozen=True)
class Period:
    years: int = 0
    months: int = 0
    days: int = 0

    def __str__(self) -> str:
        parts = []
        if self.years:
            parts.append(ngettext("%(n)d year", "%(n)d years", self.years) % {"n": self.years})
        if self.months:
            parts.append(ngettext("%(n)d month", "%(n)d months", self.months) % {"n": self.months})
        if self.days:
            parts.append(ngettext("%(n)d day", "%(n)d days", self.days) % {"n": self.days})
        return ", ".join(parts) or _("no time")

    @property
    def delta(self) -> relativedelta:
        return relativedelta(years=self.years, months=self.months, days=self.days)

    @property
    def is_zero(self) -> bool:
        return not (self.years or self.months or self.days)


def expires_on(anchor: dt.date, period: Period) -> dt.date:
    """The last day the data may be kept; the purge of the following day removes it."""
    return anchor + period.delta


def purge_cutoff(as_of: dt.date, period: Period) -> dt.date:
    """The smallest anchor `a` with `a + period >= as_of`.

    `a ↦ a + period` is non-decreasing (clamping can map several anchors to one day but
    never reverses their order), so the expired anchors are exactly those before this day.
    `as_of - period` is within a few days of it; walk to the exact boundary.
    """
    candidate = as_of - period.delta
    while expires_on(candidate - ONE_DAY, period) >= as_of:
        candidate -= ONE_DAY
    while expires_on(candidate, period) < as_of:
        candidate += ONE_DAY
    return candidate


def financial_year_start_month() -> int:
    month = int(getattr(settings, "RETENTION_FINANCIAL_YEAR_START_MONTH", 1))
    if not 1 <= month <= 12:
        raise ValueError("RETENTION_FINANCIAL_YEAR_START_MONTH must be 1-12")
    return month


def financial_year_start(day: dt.date, start_month: int | None = None) -> dt.date:
    """First day of the financial year that contains `day`."""
    month = start_month or financial_year_start_month()
    year = day.year if day.month >= month else day.year - 1
    return dt.date(year, month, 1)


def financial_year_end(day: dt.date, start_month: int | None = None) -> dt.date:
    """Last day of the financial year that contains `day` (31 December by default)."""
    start = financial_year_start(day, start_month)
    return start + relativedelta(years=1) - ONE_DAY


def next_purge_date(now: dt.datetime | None = None) -> dt.date:
    """`as_of` of the next nightly run: today before 02:00 Tallinn, tomorrow after."""
    local = (now or timezone.now()).astimezone(legal_zone())
    today = local.date()
    return today if local.hour < NIGHTLY_HOUR else today + ONE_DAY


def covers_at_most(period: Period, bound: Period) -> bool:
    """Whether `period` never ends later than `bound`, for any anchor (a 4-year cycle
    covers every leap-year case)."""
    start = dt.date(2023, 1, 1)
    return all(
        expires_on(start + dt.timedelta(days=i), period)
        <= expires_on(start + dt.timedelta(days=i), bound)
        for i in range(1461)
    )


def covers_at_least(period: Period, bound: Period) -> bool:
    start = dt.date(2023, 1, 1)
    return all(
        expires_on(start + dt.timedelta(days=i), period)
        >= expires_on(start + dt.timedelta(days=i), bound)
        for i in range(1461)
    )
