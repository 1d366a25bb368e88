"""One way to show a day and a moment on the staff pages: `d.m.Y` and `d.m.Y H:i`, in the
display time zone (`TIME_ZONE`, Europe/Tallinn by default) — the home page, the retention
pages and the request pages used to disagree (UTC against Tallinn, ISO against dd.mm.yyyy).
Templates use the `staff_date` / `staff_datetime` filters (core.templatetags.portal); Python
that builds a sentence for a staff page calls these functions.

Documents for people (letters, reports, the self-service pages) write a day the way the
reader's language does (`format_date`, `format_moment`): one format per language."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import dateformat, timezone

from core.timeutil import legal_zone

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


# The date formats of letters, e-mails, reports and pages for people: digits in Estonian and
# Latvian (a date sits inside a sentence, "līdz %(due)s", where a month name would need a case
# ending), the day, the month's name and the year in English ("6 December 2029").
DATE_FORMATS = {"en": "j F Y", "et": "d.m.Y", "lv": "d.m.Y"}

# Thousands of dates in a busy person's report: Django's date filter costs ~100 µs each, so
# the two formats are written out here (month names only in English).
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def format_date(value: dt.date | None, language: str) -> str:
    """A day in a document for a person, in their language's format."""
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        value = value.astimezone(legal_zone()).date()
    if DATE_FORMATS.get(language, "j F Y") == "d.m.Y":
        return f"{value.day:02d}.{value.month:02d}.{value.year}"
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def format_moment(value: dt.datetime | None, language: str) -> str:
    """A moment in a document for a person: the legal zone's day and time."""
    if value is None:
        return "—"
    local = value.astimezone(legal_zone())
    return f"{format_date(local.date(), language)} {local.hour:02d}:{local.minute:02d}"
