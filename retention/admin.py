"""Read-only admin: rules change through the rule pages (validation, audit, DPO
confirmation) and runs only through the purge service."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from core.generics import AnyModelAdmin
from retention.models import ErasureEntry, PurgeBatch, PurgeRun, RetentionRule, RuleChange


class ReadOnlyAdmin(AnyModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RetentionRule)
class RetentionRuleAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "record_type", "period_years", "action", "active", "confirmed"]
    list_filter = ["active", "confirmed", "record_type"]


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
    list_display = ["recorded_at", "source", "record_type", "action", "rule_code", "purge_run"]
    list_filter = ["source", "record_type", "action"]
