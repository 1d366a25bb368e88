"""Home-page panel for the DPO: what is waiting in consent."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from consent.models import NoticeStatus, ObjectionReview, PolicyVersion
from consent.services import information_notices_overdue
from core.permissions import has_permission


def consent_panel(request: HttpRequest) -> dict[str, Any] | None:
    if not has_permission(request.user, "consent.notices"):
        return None
    overdue = information_notices_overdue().count()
    reviews = ObjectionReview.objects.open().count()
    sending = PolicyVersion.objects.filter(
        notice_status__in=[NoticeStatus.QUEUED, NoticeStatus.SENDING]
    ).first()
    lines = [
        {
            "text": ngettext(
                "%(n)s person overdue for their Art. 14 notice",
                "%(n)s people overdue for their Art. 14 notice",
                overdue,
            )
            % {"n": overdue},
            "url": reverse("consent:notices"),
        },
        {
            "text": ngettext(
                "%(n)s Art. 21(1) objection awaiting your decision",
                "%(n)s Art. 21(1) objections awaiting your decision",
                reviews,
            )
            % {"n": reviews},
            "url": reverse("consent:objections"),
        },
    ]
    if sending is not None:
        lines.append(
            {
                "text": _("Policy %(version)s notices: %(pct)s%% sent")
                % {"version": sending.version, "pct": sending.progress_percent},
                "url": reverse("consent:policy", args=[sending.pk]),
            }
        )
    return {
        "title": _("Consent"),
        "lines": lines,
        "css": "alarm-panel" if overdue or reviews else "",
    }
