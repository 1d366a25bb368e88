from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from core.permissions import has_permission
from retention.selectors import purge_history_for_subject, subject_deadlines

# Each kind of record's lines a page at a time, as the person's page lists their records.
LINES_PER_PAGE = 10


def deadlines_section(request: HttpRequest, subject: Any) -> dict[str, Any] | None:
    """Each record of the person, its rule, its anchor and the day it goes (DPO only)."""
    if not has_permission(request.user, "subjects.detail.all"):
        return None
    groups = subject_deadlines(subject, limit=LINES_PER_PAGE, pages=request.GET)
    return {
        "title": _("Retention"),
        "template": "retention/_subject_deadlines.html",
        "groups": groups,
        "lines": [line for group in groups for line in group.lines],
        "history": purge_history_for_subject(subject.pk),
    }
