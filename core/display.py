"""One way to show a day and a moment on the staff pages: `d.m.Y` and `d.m.Y H:i`, in the
display time zone (`TIME_ZONE`, Europe/Tallinn by default) — the home page, the retention
pages and the request pages used to disagree (UTC against Tallinn, ISO against dd.mm.yyyy).
Templates use the `staff_date` / `staff_datetime` filters (core.templatetags.portal); Python
that builds a sentence for a staff page calls these functions. Letters and e-mails to data
subjects keep their own per-language formats."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import dateformat, timezone

STAFF_DATE_FORMAT = "d.m.Y"
STAFF_DATETIME_FORMAT = "d.m.Y H:i"


def display_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value, display_zone()) if timezone.is_aware(value) else value


def staff_date(value: dt.date | dt.datetime | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        value = _local(value)
    return dateformat.format(value, STAFF_DATE_FORMAT)


def staff_datetime(value: dt.datetime | dt.date | None) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, dt.datetime):
        return staff_date(value)
    return dateformat.format(_local(value), STAFF_DATETIME_FORMAT)
