"""The CSV import pages: upload, map, dry run (with its progress), confirm, apply, result."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from consent.imports import services
from consent.imports.forms import MappingForm, UploadForm
from consent.imports.models import CsvImport, ImportKind, ImportStatus
from core.permissions import requires

ACTION_LABELS = {
    "create": _lazy("create"),
    "update": _lazy("update"),
    "unchanged": _lazy("unchanged"),
    "withdraw": _lazy("withdraw consent"),
    "refuse": _lazy("refuse"),
}
ACTIONS = tuple(ACTION_LABELS)
KIND_ACTIONS: dict[str, tuple[str, ...]] = {
    ImportKind.PROSPECTS: ("create", "update", "unchanged", "refuse"),
    ImportKind.WITHDRAWALS: ("withdraw", "unchanged", "refuse"),
}
ROWS_PER_PAGE = 100


def _counts(csv_import: CsvImport) -> list[tuple[str, int]]:
    return [(str(ACTION_LABELS[name]), n) for name, n in csv_import.counts.items()]


def _form_errors(form: UploadForm | MappingForm, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@requires("consent.import")
@require_http_methods(["GET", "POST"])
def import_list(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            csv_import = services.upload_import(
                upload=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
                actor=request.user,
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            return redirect("consent:import", pk=csv_import.pk)
    imports = CsvImport.objects.select_related("created_by")[:50]
    return render(request, "consent/imports/list.html", {"form": form, "imports": imports})


@requires("consent.import")
@require_http_methods(["GET", "POST"])
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The mapping form until the dry run starts; then its progress, then its plan."""
    csv_import = get_object_or_404(CsvImport, pk=pk)
    mappable = csv_import.status in (ImportStatus.UPLOADED, ImportStatus.CHECKED)
    form = MappingForm(request.POST or None, csv_import=csv_import) if mappable else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            services.start_dry_run(
                csv_import=csv_import,
                mapping=form.mapping(),
                defaults=form.defaults(),
                purpose=form.cleaned_data.get("purpose"),
                actor=request.user,
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            return redirect("consent:import", pk=pk)
    action = request.GET.get("action", "")
    entries = csv_import.result or csv_import.plan or []
    if action in ACTIONS:
        entries = [entry for entry in entries if entry[1] == action]
    page = Paginator(entries, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [(line, name, ACTION_LABELS[name], pk, errors) for line, name, pk, errors in page]
    return render(
        request,
        "consent/imports/detail.html",
        {
            "csv_import": csv_import,
            "form": form,
            "page": page,
            "rows": rows,
            "counts": _counts(csv_import),
            "action": action if action in ACTIONS else "",
            "actions": [(name, ACTION_LABELS[name]) for name in KIND_ACTIONS[csv_import.kind]],
        },
    )


@requires("consent.import")
@require_GET
def import_progress(request: HttpRequest, pk: int) -> JsonResponse:
    csv_import = get_object_or_404(CsvImport, pk=pk)
    return JsonResponse(
        {
            "status": csv_import.status,
            "running": csv_import.is_running,
            "processed": csv_import.processed_rows,
            "total": csv_import.total_rows,
            "percent": csv_import.progress_percent,
        },
        headers={"Cache-Control": "no-store"},
    )


@requires("consent.import")
@require_http_methods(["GET", "POST"])
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    csv_import = get_object_or_404(CsvImport, pk=pk)
    if request.method == "POST":
        try:
            services.confirm_import(csv_import=csv_import, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("consent:import", pk=pk)
    if csv_import.status != ImportStatus.CHECKED:
        messages.error(request, _("This import has no finished dry run to apply."))
        return redirect("consent:import", pk=pk)
    return render(
        request,
        "consent/imports/confirm.html",
        {"csv_import": csv_import, "counts": _counts(csv_import)},
    )


@requires("consent.import")
@require_POST
def import_discard(request: HttpRequest, pk: int) -> HttpResponse:
    csv_import = get_object_or_404(CsvImport, pk=pk)
    if csv_import.is_running or csv_import.status == ImportStatus.APPLIED:
        messages.error(request, _("A running or applied import is kept."))
        return redirect("consent:import", pk=pk)
    services.discard_import(csv_import=csv_import, actor=request.user)
    messages.success(request, _("The import and its file were deleted."))
    return redirect("consent:imports")


@requires("consent.import")
@require_GET
def import_result_csv(request: HttpRequest, pk: int) -> HttpResponse:
    csv_import = get_object_or_404(CsvImport, pk=pk)
    stage = "result" if csv_import.result else "dry-run"
    response = HttpResponse(services.result_csv(csv_import), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="import-{pk}-{stage}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response
