"""The 72-hour clock of a personal-data breach (GDPR Art. 33(1)).

The controller notifies the supervisory authority "without undue delay and, where feasible,
not later than 72 hours after having become aware of it". Hours, not working days: a
weekend or a public holiday does not extend it (unlike the one-month answer of Art. 12(3)).
The arithmetic is done in UTC: an aware datetime in Europe/Tallinn plus `timedelta` adds
wall-clock time, so across the autumn change of clocks it would give 73 elapsed hours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

NOTIFICATION_WINDOW = dt.timedelta(hours=72)  # GDPR Art. 33(1)


def notification_deadline(aware_at: dt.datetime) -> dt.datetime:
    """The last moment of the 72 hours from awareness, as an instant (UTC)."""
    if timezone.is_naive(aware_at):
        raise ValueError("notification_deadline needs an aware datetime")
    return aware_at.astimezone(dt.UTC) + NOTIFICATION_WINDOW


@dataclass(frozen=True)
class Clock:
    """Where a breach stands against its 72 hours at `now`."""

    deadline: dt.datetime
    now: dt.datetime

    @property
    def overdue(self) -> bool:
        return self.now > self.deadline

    @property
    def hours_left(self) -> int:
        """Whole hours left, rounded down (a negative number once overdue, rounded so that
        one minute late reads as -1)."""
        seconds = (self.deadline - self.now).total_seconds()
        return int(seconds // 3600)

    @property
    def hours_late(self) -> int:
        return max(0, -self.hours_left)


def clock_at(aware_at: dt.datetime, *, now: dt.datetime) -> Clock:
    return Clock(deadline=notification_deadline(aware_at), now=now)


def is_late(aware_at: dt.datetime, notified_at: dt.datetime) -> bool:
    """A notification after the 72 hours must be accompanied by the reasons for the delay
    (Art. 33(1), second sentence)."""
    return notified_at > notification_deadline(aware_at)
