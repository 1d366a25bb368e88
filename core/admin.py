from __future__ import annotations

from typing import Any

from django.contrib import admin

from core.generics import AnyModelAdmin
from core.models import AuditEvent


class ReadOnlyPersonalDataAdmin(AnyModelAdmin):
    """Personal data is changed only through services (which validate and audit)."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyPersonalDataAdmin):
    list_display = ("occurred_at", "actor_display", "action", "target_type", "target_id")
    list_filter = ("action", "target_type")
    search_fields = ("action", "target_id")
