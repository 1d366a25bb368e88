from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from core.permissions import has_permission
from retention.selectors import kinds_of_records, purge_history_for_subject, subject_deadlines

# Each kind of record's lines a page at a time, as the person's page lists their records.
LINES_PER_PAGE = 10


def deadlines_section(request: HttpRequest, subject: Any) -> dict[str, Any] | None:
    """The person's page (DPO only): how many records of each kind they have, with a link to
    each record's rule, anchor and day it goes (`deadlines_of_person`), and what the purge did.
    The lines have a page of their own: for someone with thousands of records, computing a
    day for each listed record made most of the person's page's time."""
    if not has_permission(request.user, "subjects.detail.all"):
        return None
    return {
        "title": _("Retention"),
        "template": "retention/_subject_retention.html",
        "kinds": kinds_of_records(subject),
        "history": purge_history_for_subject(subject.pk),
    }


def deadlines_of_person(request: HttpRequest, subject: Any) -> dict[str, Any]:
    """Each record of the person, its rule, its anchor and the day it goes: a page of each
    kind at a time, on the kind's own parameter."""
    groups = subject_deadlines(subject, limit=LINES_PER_PAGE, pages=request.GET)
    return {"groups": groups, "lines": [line for group in groups for line in group.lines]}
