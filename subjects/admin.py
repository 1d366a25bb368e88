"""Personal data is read-only in the admin, and its encrypted values are not shown there:
changes go through the services (which validate and audit), and reading a person's data is
the DPO's job on the subject page, where each look is logged."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from core.admin import ReadOnlyPersonalDataAdmin
from core.fields import encrypted_fields
from subjects.models import (
    Claim,
    Communication,
    DataSubject,
    Demo,
    Invoice,
    KindChange,
    Organisation,
    Trial,
    TrialContent,
    UsageRecord,
)


class StructureOnlyAdmin(ReadOnlyPersonalDataAdmin):
    """Shows a record's structure (ids, kinds, dates, links), never its encrypted values."""

    def get_exclude(self, request: Any, obj: Any = None) -> list[str]:
        return [f.name for f in encrypted_fields(self.model)] + ["work_email_index"]

    def get_queryset(self, request: Any) -> Any:
        names = [f.name for f in encrypted_fields(self.model)]
        return super().get_queryset(request).defer(*names)


@admin.register(Organisation)
class OrganisationAdmin(StructureOnlyAdmin):
    list_display = ("name", "registry_code", "country", "status", "contract_started_on")
    list_filter = ("status", "country")
    search_fields = ("name", "registry_code")


@admin.register(DataSubject)
class DataSubjectAdmin(StructureOnlyAdmin):
    list_display = ("id", "kind", "organisation", "country", "source", "created_at")
    list_filter = ("kind", "source")
    list_select_related = ("organisation",)
    search_fields = ("organisation__name",)


@admin.register(KindChange)
class KindChangeAdmin(StructureOnlyAdmin):
    list_display = ("subject_id", "previous_kind", "kind", "changed_on")


@admin.register(Trial)
class TrialAdmin(StructureOnlyAdmin):
    list_display = ("organisation", "started_on", "ended_on", "converted_on")
    list_select_related = ("organisation",)


@admin.register(TrialContent)
class TrialContentAdmin(StructureOnlyAdmin):
    list_display = ("id", "trial_id", "author_id", "created_at")


@admin.register(Demo)
class DemoAdmin(StructureOnlyAdmin):
    list_display = ("id", "subject_id", "held_on")


@admin.register(Invoice)
class InvoiceAdmin(StructureOnlyAdmin):
    list_display = ("number", "issued_on", "amount", "currency", "organisation_id")


@admin.register(Claim)
class ClaimAdmin(StructureOnlyAdmin):
    list_display = ("id", "fell_due_on", "closed_on", "amount")


@admin.register(Communication)
class CommunicationAdmin(StructureOnlyAdmin):
    list_display = ("id", "subject_id", "direction", "channel", "sent_at")


@admin.register(UsageRecord)
class UsageRecordAdmin(StructureOnlyAdmin):
    list_display = ("id", "subject_id", "action", "occurred_at")
