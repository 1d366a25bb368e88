from __future__ import annotations

from django.contrib import admin

from subject_requests.models import SubjectRequest
from subjects.admin import StructureOnlyAdmin


@admin.register(SubjectRequest)
class SubjectRequestAdmin(StructureOnlyAdmin):
    """Reference data only: the requester's data is seen (and logged) on the request page."""

    named_by_id = False  # by its reference, which holds nothing of the requester

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
