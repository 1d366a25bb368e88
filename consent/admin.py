"""Admin: read-only. The ledger is append-only and every change goes through a service; a
person is named by id and kind (`subjects.admin`)."""

from __future__ import annotations

from django.contrib import admin

from consent.models import (
    ConsentEvent,
    ConsentSettings,
    ObjectionReview,
    PolicyText,
    PolicyVersion,
    SuppressionEntry,
)
from core.admin import ReadOnlyPersonalDataAdmin
from core.generics import AnyTabularInline
from subjects.admin import StructureOnlyAdmin


@admin.register(ConsentEvent)
class ConsentEventAdmin(StructureOnlyAdmin):
    list_display = ("occurred_at", "subject_id", "purpose", "kind", "channel", "actor_display")
    list_filter = ("kind", "channel", "purpose")
    date_hierarchy = "occurred_at"


@admin.register(SuppressionEntry)
class SuppressionEntryAdmin(ReadOnlyPersonalDataAdmin):
    list_display = ("suppressed_on", "channel", "recorded_at")
    list_filter = ("channel",)


class PolicyTextInline(AnyTabularInline):
    """The version in another language: no personal data, so the Admin may add it."""

    model = PolicyText
    extra = 0


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ReadOnlyPersonalDataAdmin):
    list_display = ("version", "effective_on", "notice_status", "notices_sent", "notices_total")
    inlines = [PolicyTextInline]


@admin.register(ObjectionReview)
class ObjectionReviewAdmin(StructureOnlyAdmin):
    list_display = ("opened_at", "subject_id", "purpose", "status", "decided_at")
    list_filter = ("status",)


@admin.register(ConsentSettings)
class ConsentSettingsAdmin(ReadOnlyPersonalDataAdmin):
    list_display = ("on_suppressed_import", "updated_at")
