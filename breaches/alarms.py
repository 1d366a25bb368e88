"""The 72-hour clock on every page the DPO opens while a breach awaits notification."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from breaches.clock import clock_at
from breaches.selectors import running_clock_lines
from core.display import staff_datetime
from core.permissions import has_permission


def breach_clock_alarms(request: HttpRequest) -> list[str]:
    if not has_permission(request.user, "breaches.manage"):
        return []
    messages = []
    now = timezone.now()
    for line in running_clock_lines():
        clock = clock_at(line.aware_at, now=now)
        values = {
            "ref": line.reference,
            "hours": abs(clock.hours_left) if not clock.overdue else clock.hours_late,
            "deadline": staff_datetime(clock.deadline),
        }
        if clock.overdue:
            messages.append(
                _(
                    "Breach %(ref)s: the 72 hours to notify the supervisory authority ended "
                    "%(hours)s hours ago (%(deadline)s). Notify now, with the reasons for the "
                    "delay, or record why it is not notified."
                )
                % values
            )
        else:
            messages.append(
                _(
                    "Breach %(ref)s: %(hours)s hours left to notify the supervisory authority "
                    "(until %(deadline)s)."
                )
                % values
            )
    return messages
