"""The DPO's home panel: what needs attention today."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.permissions import has_permission
from core.timeutil import legal_today
from subject_requests.models import DUE_SOON_DAYS, UNRESOLVED_TASKS, SystemTask
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
        {"text": _("%(n)s paused") % {"n": counts["paused"]}, "url": f"{queue}?paused=on"},
        {
            "text": _("%(n)s transmissions to another company to decide")
            % {"n": counts["transmission"]},
            "url": f"{queue}?transmission=on",
        },
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


def system_tasks_panel(request: HttpRequest) -> dict[str, Any] | None:
    """A system owner's open tasks: each request waits for them."""
    if not has_permission(request.user, "requests.tasks"):
        return None
    today = legal_today()
    mine = SystemTask.objects.filter(
        owner_id=request.user.pk, status__in=UNRESOLVED_TASKS
    ).aggregate(open=Count("id"), overdue=Count("id", filter=Q(due_on__lt=today)))
    if not mine["open"]:
        return None
    url = reverse("subject_requests:system_tasks")
    return {
        "title": _("Your system tasks"),
        "lines": [
            {"text": _("%(n)s open") % {"n": mine["open"]}, "url": url},
            {"text": _("%(n)s overdue") % {"n": mine["overdue"]}, "url": url},
        ],
        "css": "alarm-panel" if mine["overdue"] else "",
        "counts": mine,
    }
