"""Read-only admin: rules change through the rule pages (validation, audit, DPO
confirmation) and runs only through the purge service. A record type and an anchor are shown
by their registered words, as on the rule pages, not by their codes (`subjects.prospect`)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.generics import AnyModelAdmin

# Registers the beat schedule's crontab page that refuses what the scheduler cannot read.
from retention import beat_admin  # noqa: F401
from retention.models import ErasureEntry, PurgeBatch, PurgeRun, RetentionRule, RuleChange
from retention.registry import registry


def record_type_words(code: str) -> str:
    return str(registry.get(code).label) if code in registry else code


class RecordTypeFilter(admin.SimpleListFilter):
    title = _("applies to")
    parameter_name = "record_type"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return registry.choices()

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(record_type=self.value()) if self.value() else queryset


class ReadOnlyAdmin(AnyModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RetentionRule)
class RetentionRuleAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "applies_to", "period_years", "action", "active", "confirmed"]
    list_filter = ["active", "confirmed", RecordTypeFilter]
    fields = [
        "code", "name", "applies_to", "counted_from", "period_years", "period_months",
        "period_days", "action", "legal_reference", "description", "active", "confirmed",
        "confirmed_by", "confirmed_at", "created_at", "updated_at",
    ]  # fmt: skip
    readonly_fields = ["applies_to", "counted_from"]

    @admin.display(description=_("applies to"), ordering="record_type")
    def applies_to(self, rule: RetentionRule) -> str:
        return record_type_words(rule.record_type)

    @admin.display(description=_("anchor"))
    def counted_from(self, rule: RetentionRule) -> str:
        if rule.record_type not in registry:
            return rule.anchor
        return str(registry.get(rule.record_type).anchors.get(rule.anchor, rule.anchor))


@admin.register(RuleChange)
class RuleChangeAdmin(ReadOnlyAdmin):
    list_display = ["rule", "status", "due_before", "due_after", "proposed_at"]
    list_filter = ["status"]


@admin.register(PurgeRun)
class PurgeRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "status", "as_of", "dry_run", "total", "started_at", "finished_at"]
    list_filter = ["status", "dry_run"]


@admin.register(PurgeBatch)
class PurgeBatchAdmin(ReadOnlyAdmin):
    list_display = ["id", "run", "rule_code", "action", "rows", "created_at"]
    list_filter = ["rule_code"]


@admin.register(ErasureEntry)
class ErasureEntryAdmin(ReadOnlyAdmin):
    list_display = ["recorded_at", "source", "applies_to", "action", "rule_code", "purge_run"]
    list_filter = ["source", RecordTypeFilter, "action"]
    exclude = ["record_type"]
    readonly_fields = ["applies_to"]

    @admin.display(description=_("record type"), ordering="record_type")
    def applies_to(self, entry: ErasureEntry) -> str:
        return record_type_words(entry.record_type)
