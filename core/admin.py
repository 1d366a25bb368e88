from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.admin_audit import audit_admin_edits
from core.generics import AnyModelAdmin
from core.models import AuditEvent, AuditVerification, Authenticator, RecoveryCodeDevice

if TYPE_CHECKING:
    from django.contrib.admin.filters import _ListFilterChoices


class ReadOnlyPersonalDataAdmin(AnyModelAdmin):
    """Personal data is changed only through services (which validate and audit)."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class TargetTypeFilter(admin.AllValuesFieldListFilter):
    """An event about no record (a login, a setting changed) has a blank target type: Django
    would list it as a link with no text, which a screen reader announces as nothing."""

    def choices(self, changelist: ChangeList) -> Iterator[_ListFilterChoices]:
        for choice in super().choices(changelist):
            if choice["display"] == "":
                choice["display"] = _("(no record)")
            yield choice


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyPersonalDataAdmin):
    list_display = ("occurred_at", "actor_display", "action", "target_type", "target_id")
    list_filter = ("action", ("target_type", TargetTypeFilter))
    search_fields = ("action", "target_id")


@admin.register(AuditVerification)
class AuditVerificationAdmin(ReadOnlyPersonalDataAdmin):
    list_display = ("checked_at", "intact", "events_checked", "head_sequence", "broken_at")
    list_filter = ("intact",)


# Authenticators are core's own (their secret encrypted); django-otp's TOTP devices, kept in
# clear, are not used and not offered.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(Authenticator)
class AuthenticatorAdmin(ReadOnlyPersonalDataAdmin):
    """Listed without their secret; deleting one (with the user's recovery codes) resets the
    second factor: the user enrols again at their next login."""

    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    fields = ("user", "name", "confirmed", "created_at", "last_used_at")

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return True


@admin.register(RecoveryCodeDevice)
class RecoveryCodeDeviceAdmin(ReadOnlyPersonalDataAdmin):
    """Deleting a user's codes (with their authenticator under Core › Authenticator apps)
    resets their second factor: they enrol again at their next login."""

    list_display = ("user", "name")

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return True


# Changes to the schedule, users, roles, groups and second factors steer the system: each is
# audited. (These admins are registered by their own apps, before core in INSTALLED_APPS.)
audit_admin_edits(
    admin.site,
    [
        PeriodicTask,
        CrontabSchedule,
        IntervalSchedule,
        SolarSchedule,
        ClockedSchedule,
        get_user_model(),
        Group,
        Authenticator,
        RecoveryCodeDevice,
    ],
)
