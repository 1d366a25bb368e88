from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.models import AuditEvent
from core.permissions import has_permission, requires
from core.timeutil import legal_today
from processing.adequacy import DPF_RECHECK_MONTHS
from processing.forms import FilterForm, SystemForm
from processing.models import PlatformDatabase, RecordVersion, System
from processing.record.content import record_changes, record_context, record_text
from processing.selectors import (
    seeded_waiting,
    system_problems,
    systems_for_list,
    warnings_for,
)
from processing.services import systems as system_services
from retention.periods import Period


@requires("processing.register")
def register(request: HttpRequest) -> HttpResponse:
    """The record of processing activities (GDPR Art. 30), read-only and printable, with what
    changed since its last printed version."""
    context = record_context(today=legal_today())
    versions = list(RecordVersion.objects.select_related("created_by").defer("pdf", "text")[:10])
    latest = RecordVersion.objects.order_by("-number").only("text").first()
    return render(
        request,
        "processing/register.html",
        {
            **context,
            "versions": versions,
            "changes": record_changes(latest.text, record_text(context)) if latest else None,
            "can_print": True,
            "dpf_recheck": Period(months=DPF_RECHECK_MONTHS),
            "can_manage": has_permission(request.user, "processing.manage"),
            "can_see_systems": has_permission(request.user, "processing.systems"),
            "system_problem_count": (
                len(system_problems()) if has_permission(request.user, "processing.systems") else 0
            ),
            "systems_waiting": (
                seeded_waiting() if has_permission(request.user, "processing.systems") else 0
            ),
        },
    )


@requires("processing.systems")
def system_list(request: HttpRequest) -> HttpResponse:
    form = FilterForm(request.GET or None)
    systems = systems_for_list(**form.filters())
    rows = [{"system": system, "warnings": warnings_for(system)} for system in systems]
    return render(
        request,
        "processing/system_list.html",
        {
            "form": form,
            "rows": rows,
            "needing_attention": sum(1 for row in rows if row["warnings"]),
            "waiting": seeded_waiting(),
            "can_manage": has_permission(request.user, "processing.systems.manage"),
        },
    )


@requires("processing.systems")
def system_detail(request: HttpRequest, pk: int) -> HttpResponse:
    system = get_object_or_404(
        System.objects.select_related("owner", "processor", "recipient").prefetch_related(
            "categories"
        ),
        pk=pk,
    )
    events = AuditEvent.objects.filter(
        target_type="processing.system", target_id=str(system.pk)
    ).select_related("actor")
    database = PlatformDatabase.objects.filter(system=system).first()
    return render(
        request,
        "processing/system_detail.html",
        {
            "system": system,
            "database": database,
            "manifest_in_force": database.manifest() if database else None,
            "pending_manifest": database.pending_manifest() if database else None,
            "warnings": warnings_for(system),
            "page": Paginator(events, 20).get_page(request.GET.get("page")),
            "can_manage": has_permission(request.user, "processing.systems.manage"),
        },
    )


@requires("processing.systems.manage")
def system_create(request: HttpRequest) -> HttpResponse:
    form = SystemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            system = system_services.create_system(values=form.values(), actor=request.user)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The system is in the register."))
            return redirect(system)
    return render(request, "processing/system_form.html", {"form": form, "system": None})


@requires("processing.systems.manage")
def system_edit(request: HttpRequest, pk: int) -> HttpResponse:
    system = get_object_or_404(System, pk=pk)
    form = SystemForm(request.POST or None, initial=SystemForm.initial_for(system))
    if request.method == "POST" and form.is_valid():
        try:
            system = system_services.update_system(
                system=system, values=form.values(), actor=request.user
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The system is saved."))
            return redirect(system)
    return render(request, "processing/system_form.html", {"form": form, "system": system})


@requires("processing.systems.manage")
@never_cache
def system_secret(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, then issue a new signing secret and show it this once (the answer to the POST
    is not cached, and no later page shows it)."""
    system = get_object_or_404(System, pk=pk)
    if request.method == "POST":
        try:
            secret = system_services.rotate_secret(system=system, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(system)
        return render(
            request,
            "processing/system_secret_shown.html",
            {
                "system": system,
                "secret": secret,
            },
        )
    return render(request, "processing/system_secret_confirm.html", {"system": system})


@requires("processing.systems.manage")
def system_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    system = get_object_or_404(System, pk=pk)
    if request.method == "POST":
        system_services.deactivate_system(system=system, actor=request.user)
        messages.success(request, _("The system is deactivated: no request reaches it now."))
        return redirect(system)
    return render(request, "processing/system_deactivate_confirm.html", {"system": system})


@requires("processing.systems.manage")
@require_POST
def system_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    system = get_object_or_404(System, pk=pk)
    try:
        system_services.reactivate_system(system=system, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The system is active again."))
    return redirect(system)
