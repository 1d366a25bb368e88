"""Legal deadlines of data-subject requests, in one place.

GDPR Art. 12(3): the answer is due within one month of receipt, extendable by two further
months (three from receipt). The GDPR counts periods as Regulation (EEC, Euratom) No 1182/71
does: the day of receipt is not counted (Art. 3(1)); a period of months ends on the same day
number in the last month, or that month's last day when it has none (Art. 3(2)(c): 31 January
→ 28 February); and a last day on a Saturday, Sunday or public holiday moves to the end of
the following working day (Art. 3(4)). Days are days in `LEGAL_TIME_ZONE`; holidays those of
`LEGAL_HOLIDAY_COUNTRY`.

Two days come out of it. The **due day** is the legal deadline, rolled to a working day:
overdue means past its end. The **target day** is the same period unrolled (its calendar end
plus the paused days): the queue sorts and colours by it so that the team aims early and the
roll-forward stays a margin, never a plan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from core.timeutil import (
    end_of_legal_day,
    legal_date,
    months_after,
    next_working_day_on_or_after,
)
from retention.periods import Period

# GDPR Art. 12(3): one month, or three from receipt when extended.
ANSWER_MONTHS = 1
EXTENDED_MONTHS = 3


def answer_periods() -> dict[str, Period]:
    """The periods as pages and letters state them, in the reader's language: the answer's,
    the extension's (the further months) and the extended one's (from receipt)."""
    return {
        "answer_period": Period(months=ANSWER_MONTHS),
        "extension_period": Period(months=EXTENDED_MONTHS - ANSWER_MONTHS),
        "extended_period": Period(months=EXTENDED_MONTHS),
    }


def period_end(received_at: dt.datetime, months: int = ANSWER_MONTHS) -> dt.date:
    """The calendar end of the period: the same day `months` later in the legal zone, or that
    month's last day when it has none. Not rolled."""
    return months_after(legal_date(received_at), months)


def legal_deadline(received_at: dt.datetime, months: int = ANSWER_MONTHS) -> dt.date:
    """The last day to answer: the period's end, moved to the next working day when it is a
    Saturday, Sunday or public holiday. `months=3` is the one extension, counted from receipt
    (never chained from the first deadline)."""
    return next_working_day_on_or_after(period_end(received_at, months))


def paused_days(started_at: dt.datetime, ended_at: dt.datetime) -> int:
    """Whole legal days a pause stopped the clock: the days between the day it started and
    the day it ended (asked on 10 March, answered on 15 March: 5 days)."""
    return max(0, (legal_date(ended_at) - legal_date(started_at)).days)


def target_date(
    received_at: dt.datetime, *, extended: bool = False, pauses: Iterable[int] = ()
) -> dt.date:
    """The day the team aims for: the period's calendar end moved by exactly the paused days,
    not rolled."""
    months = EXTENDED_MONTHS if extended else ANSWER_MONTHS
    return period_end(received_at, months) + dt.timedelta(days=sum(pauses))


def due_date(
    received_at: dt.datetime, *, extended: bool = False, pauses: Iterable[int] = ()
) -> dt.date:
    """The legal due day: the period's end moved by the paused days, then rolled to a working
    day. The stopped clock moves the end first; Art. 3(4) applies to the day it then ends on."""
    return request_deadline(received_at, extended=extended, pauses=pauses).due_on


@dataclass(frozen=True)
class RequestDeadline:
    """Both days of a request's deadline, and the stored instants (each the end of its legal
    day)."""

    target_on: dt.date
    due_on: dt.date

    @property
    def target_at(self) -> dt.datetime:
        return end_of_legal_day(self.target_on)

    @property
    def due_at(self) -> dt.datetime:
        return end_of_legal_day(self.due_on)

    def as_fields(self) -> dict[str, dt.datetime]:
        """The model fields, for `create(**…)` and `setattr`: both always move together."""
        return {"due_at": self.due_at, "target_at": self.target_at}


def request_deadline(
    received_at: dt.datetime, *, extended: bool = False, pauses: Iterable[int] = ()
) -> RequestDeadline:
    """The one function every write of a request's deadline goes through (intake, extension,
    the end of a pause, a corrected receipt time)."""
    pauses = tuple(pauses)
    target = target_date(received_at, extended=extended, pauses=pauses)
    return RequestDeadline(target_on=target, due_on=next_working_day_on_or_after(target))
