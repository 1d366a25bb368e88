"""The register is changed by Admin in the Django admin; every change is audited.

The forms validate through the models' `full_clean()`, so the register's rules
(processing.rules) show next to the field they concern and nothing invalid is saved.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from core.audit import record_event
from core.generics import AnyModelAdmin, AnyTabularInline
from processing.models import (
    DataCategory,
    Processor,
    ProcessorCategory,
    Purpose,
    Recipient,
    SubjectKind,
    SubProcessor,
    System,
    Transfer,
)


def _action(obj: Any, verb: str) -> str:
    return f"processing.{obj._meta.model_name}.{verb}"


class AuditedRegisterAdmin(AnyModelAdmin):
    """Writes the change and its audit event in one transaction (field names only)."""

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            record_event(
                action=_action(obj, "updated" if change else "created"),
                actor=request.user,
                target=obj,
                details={"fields": sorted(form.changed_data)},
            )

    def delete_model(self, request: Any, obj: Any) -> None:
        with transaction.atomic():
            record_event(action=_action(obj, "deleted"), actor=request.user, target=obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        with transaction.atomic():
            for obj in queryset:
                record_event(action=_action(obj, "deleted"), actor=request.user, target=obj)
            super().delete_queryset(request, queryset)

    def save_formset(self, request: Any, form: Any, formset: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_formset(request, form, formset, change)
            for obj in formset.new_objects:
                record_event(action=_action(obj, "created"), actor=request.user, target=obj)
            for obj, fields in formset.changed_objects:
                record_event(
                    action=_action(obj, "updated"),
                    actor=request.user,
                    target=obj,
                    details={"fields": sorted(fields)},
                )
            for obj in formset.deleted_objects:
                record_event(
                    action=_action(obj, "deleted"),
                    actor=request.user,
                    target_type=obj._meta.label_lower,
                    target_id=obj.pk or "",
                )


class CodedRegisterAdmin(AuditedRegisterAdmin):
    """A row's code is how the portal, the API and the seed find it again (`processing.seed`):
    chosen when the row is added, then shown and never changed; the name is the Admin's."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = tuple(super().get_readonly_fields(request, obj))
        return readonly if obj is None else (*readonly, "code")


class TransferInline(AnyTabularInline):
    model = Transfer
    extra = 0
    fields = (
        "destination_country",
        "ground",
        "certification_checked_on",
        "document_reference",
        "subject_countries",
        "description",
    )


class SubProcessorInline(AnyTabularInline):
    model = SubProcessor
    extra = 0
    fields = ("name", "country", "service")


@admin.register(DataCategory)
class DataCategoryAdmin(CodedRegisterAdmin):
    list_display = ("name", "code", "description")


@admin.register(Purpose)
class PurposeAdmin(CodedRegisterAdmin):
    list_display = ("name", "code", "legal_basis", "is_direct_marketing", "active")
    list_filter = ("legal_basis", "active")
    filter_horizontal = ("categories",)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "code",
                    "name",
                    "description",
                    "legal_basis",
                    "subject_kinds",
                    "categories",
                    "is_direct_marketing",
                    "active",
                )
            },
        ),
        (
            _("Legitimate interest assessment (Art. 6(1)(f))"),
            {
                "description": _("All four parts are required for legitimate interest."),
                "fields": (
                    "lia_purpose",
                    "lia_necessity",
                    "lia_balancing",
                    "lia_safeguards",
                    "lia_reviewer",
                    "lia_reviewed_on",
                    "lia_review_due_on",
                ),
            },
        ),
    )

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "subject_kinds":
            # The kinds by their names, as boxes to tick: not a JSON list of their codes.
            return forms.MultipleChoiceField(
                label=capfirst(db_field.verbose_name),
                help_text=db_field.help_text,
                choices=SubjectKind.choices,
                widget=forms.CheckboxSelectMultiple,
                required=False,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(ProcessorCategory)
class ProcessorCategoryAdmin(CodedRegisterAdmin):
    list_display = ("name", "code")


@admin.register(Processor)
class ProcessorAdmin(AuditedRegisterAdmin):
    list_display = (
        "name",
        "category",
        "country",
        "dpa_reference",
        "dpa_signed_on",
        "dpa_review_due_on",
    )
    list_filter = ("category",)
    filter_horizontal = ("purposes",)
    inlines = [TransferInline, SubProcessorInline]


@admin.register(Recipient)
class RecipientAdmin(AuditedRegisterAdmin):
    list_display = ("name", "kind", "legal_basis")
    filter_horizontal = ("purposes",)
    inlines = [TransferInline]


@admin.register(Transfer)
class TransferAdmin(AuditedRegisterAdmin):
    list_display = ("__str__", "ground", "certification_checked_on", "document_reference")
    list_filter = ("ground",)


@admin.register(System)
class SystemAdmin(AnyModelAdmin):
    """Read-only: systems are changed on the portal's own pages (`/processing/systems/`), whose
    services validate, audit and issue the signing secrets. The secrets never show here."""

    list_display = ("name", "kind", "connector", "owner", "active", "portal_page")
    list_filter = ("kind", "connector", "active")
    search_fields = ("name",)
    exclude = ("webhook_secret", "previous_webhook_secret", "subject_kinds")
    readonly_fields = ("kinds",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description=_("subject kinds"))
    def kinds(self, obj: System) -> str:
        return ", ".join(obj.subject_kind_labels)

    @admin.display(description=_("Change it"))
    def portal_page(self, obj: System) -> SafeString:
        url = reverse("processing:system_detail", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("on its portal page"))
