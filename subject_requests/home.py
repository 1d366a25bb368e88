"""The DPO's home panel: what needs attention today."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.permissions import has_permission
from subject_requests.models import DUE_SOON_DAYS
from subject_requests.selectors import queue_counts


def requests_panel(request: HttpRequest) -> dict[str, Any] | None:
    if not has_permission(request.user, "requests.decide"):
        return None
    counts = queue_counts(now=timezone.now())
    queue = reverse("subject_requests:queue")
    lines = [
        {"text": _("%(n)s overdue") % {"n": counts["overdue"]}, "url": f"{queue}?overdue=on"},
        {
            "text": _("%(n)s due within %(days)s days")
            % {"n": counts["due_soon"], "days": DUE_SOON_DAYS},
            "url": f"{queue}?due_soon=on",
        },
        {
            "text": _("%(n)s awaiting identity") % {"n": counts["awaiting_identity"]},
            "url": f"{queue}?status=awaiting_identity",
        },
        {"text": _("%(n)s paused") % {"n": counts["paused"]}, "url": queue},
        {
            "text": _("%(n)s unassigned") % {"n": counts["unassigned"]},
            "url": f"{queue}?assignee=none",
        },
        {"text": _("%(n)s open in all") % {"n": counts["open"]}, "url": queue},
    ]
    return {
        "title": _("Data-subject requests"),
        "lines": lines,
        "css": "alarm-panel" if counts["overdue"] else "",
        "counts": counts,
    }
