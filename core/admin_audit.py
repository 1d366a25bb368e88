"""Audit events for admin changes to what steers the system: the beat schedule (enabling,
disabling or moving the nightly purge), users and their roles, groups, second factors.

Hooked on the admin classes themselves (`log_addition`, `log_change`, `log_deletions` and
the list actions), not on model signals: what is audited is an Admin's edit in the admin, with
the Admin as actor and inside the admin's own transaction. A signal would also fire for the
scheduler's own bookkeeping (django-celery-beat saves `last_run_at` on every run) and could
not see the list actions, which change rows with `QuerySet.update()` and send no signal.
Seeding writes the schedule through its own path and is not an admin edit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin import helpers
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from core.audit import record_event, target_type_of


def _schedule_of(task: Any) -> str:
    schedule = task.crontab or task.interval or task.solar or task.clocked
    return "" if schedule is None else str(schedule)


# What an event says about each audited kind of row: settings, never personal data (a user
# is named by id; their roles and flags are what an Admin changes).
DESCRIBE: dict[str, Callable[[Any], dict[str, Any]]] = {
    "django_celery_beat.periodictask": lambda task: {
        "name": task.name,
        "task": task.task,
        "enabled": task.enabled,
        "schedule": _schedule_of(task),
        "one_off": task.one_off,
    },
    "django_celery_beat.crontabschedule": lambda s: {"schedule": str(s)},
    "django_celery_beat.intervalschedule": lambda s: {"schedule": str(s)},
    "django_celery_beat.solarschedule": lambda s: {"schedule": str(s)},
    "django_celery_beat.clockedschedule": lambda s: {"schedule": str(s)},
    "auth.user": lambda user: {
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
    },
    "auth.group": lambda group: {
        "name": group.name,
        "permissions": group.permissions.count(),
    },
    "core.authenticator": lambda device: {"user": device.user_id, "confirmed": device.confirmed},
    "core.recoverycodedevice": lambda device: {"user": device.user_id},
}


def describe(obj: models.Model) -> dict[str, Any]:
    return DESCRIBE[target_type_of(obj)](obj)


def changed_fields(message: Any) -> list[str]:
    """The field labels of Django's structured change message."""
    fields: list[str] = []
    for entry in message if isinstance(message, list) else []:
        fields.extend(entry.get("changed", {}).get("fields", []))
    return fields


if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]
else:  # the admin's generic alias exists for the type checker only
    _ModelAdmin = admin.ModelAdmin


class AuditedAdminMixin(_ModelAdmin):
    """Put in front of a registered ModelAdmin (the MRO then reaches that class before
    Django's); see the module's docstring."""

    def log_addition(self, request: HttpRequest, obj: models.Model, message: Any) -> Any:
        record_event(
            action=f"{target_type_of(obj)}.created",
            actor=request.user,
            target=obj,
            details={"via": "admin", "now": describe(obj)},
        )
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: models.Model, message: Any) -> Any:
        record_event(
            action=f"{target_type_of(obj)}.changed",
            actor=request.user,
            target=obj,
            details={"via": "admin", "fields": changed_fields(message), "now": describe(obj)},
        )
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset: QuerySet[Any, Any]) -> Any:
        for obj in queryset:
            record_event(
                action=f"{target_type_of(obj)}.deleted",
                actor=request.user,
                target=obj,
                details={"via": "admin", "was": describe(obj)},
            )
        return super().log_deletions(request, queryset)

    def response_action(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        """List actions (enable, disable, toggle, run the selected tasks) change rows with
        `update()`, past `log_change`: each selected row gets an event with its state before
        and after, in the action's transaction."""
        name = request.POST.get("action", "")
        actions = self.get_actions(request)
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        across = request.POST.get("select_across") == "1"
        if name == "delete_selected" or name not in actions or not (selected or across):
            return super().response_action(request, queryset)
        label = target_type_of(self.model)
        with transaction.atomic():
            targets = queryset if across else queryset.filter(pk__in=selected)
            before = {obj.pk: describe(obj) for obj in targets}
            response = super().response_action(request, queryset)
            after = {
                obj.pk: describe(obj) for obj in self.model._default_manager.filter(pk__in=before)
            }
            for pk, was in before.items():
                record_event(
                    action=f"{label}.{name}",
                    actor=request.user,
                    target_type=label,
                    target_id=pk,
                    details={"via": "admin", "was": was, "now": after.get(pk)},
                )
        return response


def audit_admin_edits(site: admin.AdminSite, models_: Iterable[type[models.Model]]) -> None:
    """Put AuditedAdminMixin in front of the admin class each model is registered with."""
    for model in models_:
        registered = site._registry.get(model)
        if registered is None:
            continue
        base = type(registered)
        site.unregister(model)
        site.register(model, type(f"Audited{base.__name__}", (AuditedAdminMixin, base), {}))
