"""Legal days: dates are days in `LEGAL_TIME_ZONE` (Europe/Tallinn), whatever the display
zone; periods are calendar arithmetic (`relativedelta`), never `timedelta(days=365)`."""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.utils import timezone

ONE_DAY = dt.timedelta(days=1)
SATURDAY = 5  # `date.weekday()`: Monday is 0


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


def months_after(day: dt.date, months: int = 1) -> dt.date:
    """`months` months from `day`: the same day number in the last month, or that month's
    last day when it has none (31 January → 28/29 February). The one reading of "a month from
    day D" (Regulation 1182/71 Art. 3(2)(c)), for GDPR Art. 12(3) and Art. 14(3)(a) alike."""
    return day + relativedelta(months=months)


def months_after_cutoff(as_of: dt.date, months: int = 1) -> dt.date:
    """The first day `d` with `months_after(d, months) >= as_of`, so that
    `months_after(d, months) < as_of  ⇔  d < months_after_cutoff(as_of, months)` exactly.

    The set-based form of "the month has run out": a condition on the start column. Clamping
    maps several days onto one month-end (29–31 January → 28 February) but never reverses
    their order, so the days whose month has run out are exactly those before this one;
    `as_of - months` is within a few days of it, and we walk to the exact boundary.
    """
    candidate = as_of - relativedelta(months=months)
    while months_after(candidate - ONE_DAY, months) >= as_of:
        candidate -= ONE_DAY
    while months_after(candidate, months) < as_of:
        candidate += ONE_DAY
    return candidate


@functools.lru_cache(maxsize=64)
def _public_holidays(country: str, year: int) -> frozenset[dt.date]:
    # Imported by the first working-day question: the package is ~24 MB, which a process that
    # never asks one (the purge, most workers) need not carry (tests/test_process_weight.py).
    import holidays

    return frozenset(holidays.country_holidays(country, years=year))


def holiday_country_known(country: str) -> bool:
    """Whether the `holidays` package has a calendar for this code (ISO 3166 alpha-2 or -3).
    Its registry names each country's codes without loading every country's calendar
    (`list_supported_countries()` would, ~18 MB more): an entry is (class name, its codes…,
    maybe a class alias), the codes being the upper-case names."""
    from holidays.registry import COUNTRIES

    return country in {code for entry in COUNTRIES.values() for code in entry[1:] if code.isupper()}


def public_holidays(year: int) -> frozenset[dt.date]:
    """The public holidays of `LEGAL_HOLIDAY_COUNTRY` in `year`, from the `holidays` package
    (never a hand-kept list), cached per country and year."""
    return _public_holidays(settings.LEGAL_HOLIDAY_COUNTRY, year)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < SATURDAY and day not in public_holidays(day.year)


def next_working_day_on_or_after(day: dt.date) -> dt.date:
    """Regulation 1182/71 Art. 3(4): a period whose last day is a Saturday, Sunday or public
    holiday ends with the following working day."""
    while not is_working_day(day):
        day += ONE_DAY
    return day
