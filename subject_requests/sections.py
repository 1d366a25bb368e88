"""The subject page's section listing the person's requests (DPO only)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from core.permissions import has_permission
from core.timeutil import legal_date
from subject_requests.selectors import requests_of_subject

# The section's own page parameter on the person's page, beside the records' ones.
PAGE_PARAM = "requests_page"


def requests_section(request: HttpRequest, subject: Any) -> dict[str, Any] | None:
    if not has_permission(request.user, "requests.decide"):
        return None
    now = timezone.now()
    page = requests_of_subject(subject, request.GET.get(PAGE_PARAM))
    rows = [
        {
            "req": r,
            "received_on": legal_date(r.received_at),
            "due_on": r.due_on(now),
            "deadline_class": r.deadline_class(now) if r.is_open else "",
        }
        for r in page
    ]
    return {
        "title": _("Data-subject requests"),
        "template": "subject_requests/subject_section.html",
        "rows": rows,
        "page": page,
        "param": PAGE_PARAM,
    }
