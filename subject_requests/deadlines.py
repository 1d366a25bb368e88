"""Legal deadlines of data-subject requests, in one place.

GDPR Art. 12(3): the answer is due within one month of receipt, extendable by two further
months (three from receipt). Days are days in `LEGAL_TIME_ZONE`. We read the month as a
calendar month ending on the same day number (or on the month's last day when it has no such
day) and do **not** roll a deadline that falls on a weekend or holiday forward: the
conservative reading, so the portal never shows a later date than a supervisory authority
might hold us to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from dateutil.relativedelta import relativedelta

from core.timeutil import end_of_legal_day, legal_date

# GDPR Art. 12(3): one month, or three from receipt when extended.
ANSWER_MONTHS = 1
EXTENDED_MONTHS = 3


def legal_deadline(received_at: dt.datetime, months: int = ANSWER_MONTHS) -> dt.date:
    """The last day to answer: the same day `months` later in the legal zone, or that
    month's last day when it has none (31 January → 28/29 February)."""
    return legal_date(received_at) + relativedelta(months=months)


def paused_days(started_at: dt.datetime, ended_at: dt.datetime) -> int:
    """Whole legal days a pause stopped the clock: the days between the day it started and
    the day it ended (asked on 10 March, answered on 15 March: 5 days)."""
    return max(0, (legal_date(ended_at) - legal_date(started_at)).days)


def due_date(
    received_at: dt.datetime, *, extended: bool = False, pauses: Iterable[int] = ()
) -> dt.date:
    """The due day: the legal deadline (never chained from an earlier due date) moved by
    exactly the paused days."""
    months = EXTENDED_MONTHS if extended else ANSWER_MONTHS
    return legal_deadline(received_at, months) + dt.timedelta(days=sum(pauses))


def due_at(
    received_at: dt.datetime, *, extended: bool = False, pauses: Iterable[int] = ()
) -> dt.datetime:
    """The last instant of the due day in the legal zone."""
    return end_of_legal_day(due_date(received_at, extended=extended, pauses=pauses))
