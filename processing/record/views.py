"""The printed record of processing (GDPR Art. 30), its versions, the measures and the
processors' contracts: plumbing around `processing.record.services`."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from core.audit import record_event
from core.permissions import has_permission, requires
from core.timeutil import legal_today
from processing.models import Processor, RecordVersion, SecurityMeasures
from processing.record.forms import ContractForm, MeasuresForm
from processing.record.services import generate_record, save_security_measures
from processing.rules import processor_problems


def _pdf(version: RecordVersion) -> HttpResponse:
    response = HttpResponse(bytes(version.pdf), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="record-of-processing-v{version.number}-'
        f'{version.created_at:%Y-%m-%d}.pdf"'
    )
    return response


@requires("processing.register")
def record_pdf(request: HttpRequest) -> HttpResponse:
    """The record from the live data; a new version is kept only when it changed."""
    return _pdf(generate_record(actor=request.user))


@requires("processing.register")
def record_version_pdf(request: HttpRequest, number: int) -> HttpResponse:
    version = get_object_or_404(RecordVersion, number=number)
    record_event(
        action="processing.record_opened",
        actor=request.user,
        target=version,
        details={"version": number},
    )
    return _pdf(version)


@requires("processing.manage")
def measures_edit(request: HttpRequest) -> HttpResponse:
    current = SecurityMeasures.objects.order_by("-created_at", "-id").first()
    form = MeasuresForm(request.POST or None, initial={"text": current.text if current else ""})
    if request.method == "POST" and form.is_valid():
        try:
            save_security_measures(text=form.cleaned_data["text"], actor=request.user)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The measures are saved as a new version."))
            return redirect("processing:register")
    versions = SecurityMeasures.objects.select_related("created_by").order_by("-created_at")[:20]
    return render(request, "processing/measures_form.html", {"form": form, "versions": versions})


@requires("processing.register")
def processor_list(request: HttpRequest) -> HttpResponse:
    today = legal_today()
    processors = (
        Processor.objects.select_related("category")
        .prefetch_related("sub_processors", "systems", "transfers", "purposes")
        .order_by("category_id", "name")
    )
    rows = [
        {
            "processor": p,
            "warnings": [m for ms in processor_problems(p, today=today).values() for m in ms],
        }
        for p in processors
    ]
    return render(
        request,
        "processing/processor_list.html",
        {
            "rows": rows,
            "needing_attention": sum(1 for row in rows if row["warnings"]),
            "can_manage": has_permission(request.user, "processing.manage"),
            "can_see_systems": has_permission(request.user, "processing.systems"),
        },
    )


@requires("processing.manage")
def processor_contract(request: HttpRequest, pk: int) -> HttpResponse:
    processor = get_object_or_404(Processor, pk=pk)
    form = ContractForm(request.POST or None, initial=ContractForm.initial_for(processor))
    if request.method == "POST" and form.is_valid():
        fields = form.changed_data
        with transaction.atomic():
            for name in fields:
                setattr(processor, name, form.cleaned_data[name])
            processor.save(update_fields=fields or None)
            record_event(
                action="processing.processor.updated",
                actor=request.user,
                target=processor,
                details={"fields": sorted(fields)},
            )
        messages.success(request, _("The processing agreement is saved."))
        return redirect("processing:processor_list")
    return render(
        request, "processing/processor_contract.html", {"form": form, "processor": processor}
    )
