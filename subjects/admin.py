"""Personal data is read-only in the admin and not shown there: changes go through the
services (which validate and audit), and reading a person's data is the DPO's job on the
subject page, where each look is logged. The admin's own views are not audited, so they show
nobody, whatever their roles, a person's field but the kind (`subjects.field_policy`).

A person is named "Person #12 (Client)" everywhere in the admin: in the titles and
breadcrumbs of their pages, in the columns and fields of rows that refer to them, and in the
admin's log (`LogEntry.object_repr` keeps `str()` of a row, and a person's `str()` is their
name, as the portal's own pages want it). A row holding a person's data is named by its kind
and id, since its `str()` may be made of what it holds (a trial content's title)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.text import capfirst
from django.utils.translation import gettext

from core.admin import ReadOnlyPersonalDataAdmin
from core.fields import encrypted_fields
from subjects.field_policy import PERSON_FIELDS
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


def person_label(person: DataSubject) -> str:
    return gettext("Person #%(id)s (%(kind)s)") % {
        "id": person.pk,
        "kind": person.get_kind_display(),
    }


def row_label(row: models.Model) -> str:
    if isinstance(row, DataSubject):
        return person_label(row)
    return f"{capfirst(row._meta.verbose_name)} #{row.pk}"


def refers_to_a_person(field: Any) -> bool:
    """A field of the model's own (not a reverse relation) that holds one or more people."""
    return bool(field.is_relation and not field.auto_created and field.related_model is DataSubject)


def people_of(row: models.Model, field: Any) -> Iterable[DataSubject]:
    people = DataSubject.objects.only("kind")  # nothing decrypted to name them
    if field.many_to_many:
        return people.filter(pk__in=getattr(row, field.name).values("pk"))
    return people.filter(pk=getattr(row, field.attname))


class NamedRow:
    """A row as the admin's templates and log see it: Django's pages print `str()` of the
    row in their titles and breadcrumbs, its log stores it; all else is the row's."""

    def __init__(self, row: models.Model, label: str) -> None:
        self._row = row
        self._label = label

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, name)

    def __str__(self) -> str:
        return self._label


class StructureOnlyAdmin(ReadOnlyPersonalDataAdmin):
    """Shows a record's structure (ids, kinds, dates, links), never its encrypted values, and
    names a person and the record itself by id (see the module's docstring)."""

    # A row's str() may be made of what it holds: its pages name it by its kind and id.
    named_by_id = True

    def __init__(self, model: type[models.Model], admin_site: admin.AdminSite) -> None:
        super().__init__(model, admin_site)
        self.person_columns: dict[str, Callable[[models.Model], str]] = {
            field.name: self._person_column(field)
            for field in model._meta.get_fields()
            if refers_to_a_person(field)
        }

    def _person_column(self, field: Any) -> Callable[[models.Model], str]:
        def column(row: models.Model) -> str:
            labels = [person_label(person) for person in people_of(row, field)]
            return ", ".join(labels) or self.get_empty_value_display()

        column.__name__ = field.name  # the field's CSS class on the page, as for the field
        return admin.display(description=capfirst(field.verbose_name))(column)

    def label(self, row: models.Model) -> str:
        return row_label(row) if self.named_by_id else str(row)

    def get_exclude(self, request: Any, obj: Any = None) -> list[str]:
        return [f.name for f in encrypted_fields(self.model)] + ["work_email_index"]

    def get_queryset(self, request: Any) -> Any:
        names = [f.name for f in encrypted_fields(self.model)]
        return super().get_queryset(request).defer(*names)

    def _shown(self, names: Iterable[Any]) -> list[Any]:
        """The names of fields, a person's field as its column (a line of several too)."""
        return [
            self.person_columns.get(name, name) if isinstance(name, str) else self._shown(name)
            for name in names
        ]

    def get_fieldsets(self, request: Any, obj: Any = None) -> Any:
        return [
            (title, {**options, "fields": self._shown(options["fields"])})
            for title, options in super().get_fieldsets(request, obj)
        ]

    def get_list_display(self, request: Any) -> list[Any]:
        return [
            self.person_columns.get(name, name) if isinstance(name, str) else name
            for name in super().get_list_display(request)
        ]

    def render_change_form(
        self,
        request: Any,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> Any:
        if obj is not None:
            label = self.label(obj)
            context.update(subtitle=label, original=NamedRow(obj, label))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().history_view(request, object_id, extra_context)
        if isinstance(response, TemplateResponse) and response.context_data:
            row = response.context_data["object"]
            label = self.label(row)
            response.context_data.update(
                title=gettext("Change history: %s") % label, object=NamedRow(row, label)
            )
        return response

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return super().log_addition(request, NamedRow(obj, self.label(obj)), message)

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return super().log_change(request, NamedRow(obj, self.label(obj)), message)

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        # Django only iterates what it logs: the rows, named, do for the queryset.
        named: Any = [NamedRow(row, self.label(row)) for row in queryset]
        return super().log_deletions(request, named)


@admin.register(Organisation)
class OrganisationAdmin(StructureOnlyAdmin):
    named_by_id = False  # a company, by its name, as on its list
    list_display = ("name", "registry_code", "country", "status", "contract_started_on")
    list_filter = ("status", "country")
    search_fields = ("name", "registry_code")


@admin.register(DataSubject)
class DataSubjectAdmin(StructureOnlyAdmin):
    """A person's id, kind and where their record stands (restricted, erasure asked,
    anonymised, on hold): no field of the person but the kind, so nothing to search by."""

    list_display = ("id", "kind", "restricted_at", "erasure_requested_at", "anonymised_at")
    list_filter = ("kind",)

    def get_exclude(self, request: Any, obj: Any = None) -> list[str]:
        hidden = [name for name in PERSON_FIELDS if name != "kind"]
        return [*super().get_exclude(request, obj), *hidden, "photo_content_type"]


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
