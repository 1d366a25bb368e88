"""Legal days: dates are days in `LEGAL_TIME_ZONE` (Europe/Tallinn), whatever the display
zone; periods are calendar arithmetic (`relativedelta`), never `timedelta(days=365)`."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def legal_zone() -> ZoneInfo:
    return ZoneInfo(settings.LEGAL_TIME_ZONE)


def legal_date(moment: dt.datetime) -> dt.date:
    """The day `moment` falls on in the operator's zone."""
    if timezone.is_naive(moment):
        raise ValueError("legal_date needs an aware datetime")
    return moment.astimezone(legal_zone()).date()


def legal_today(now: dt.datetime | None = None) -> dt.date:
    return legal_date(now or timezone.now())


def start_of_legal_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=legal_zone())


def end_of_legal_day(day: dt.date) -> dt.datetime:
    """The last instant of `day` in the operator's zone (a deadline's end)."""
    return start_of_legal_day(day + dt.timedelta(days=1)) - dt.timedelta(microseconds=1)
