from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyPersonalDataAdmin
from subject_requests.models import SubjectRequest


@admin.register(SubjectRequest)
class SubjectRequestAdmin(ReadOnlyPersonalDataAdmin):
    """Reference data only: the requester's data is seen (and logged) on the request page."""

    list_display = ("reference", "type", "channel", "status", "received_at", "target_at", "due_at")
    list_filter = ("status", "type", "channel")
    search_fields = ("reference",)
    fields = (
        "reference",
        "type",
        "channel",
        "status",
        "received_at",
        "target_at",
        "due_at",
        "extended_at",
        "paused_days",
        "closed_at",
        "assignee",
    )
