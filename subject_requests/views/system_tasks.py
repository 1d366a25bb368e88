"""The system owners' pages (their open tasks: what to do in which system, and recording what
was done), the DPO's retry of a failed delivery or take-over of one whose worker stopped, and
the systems' signed completion call."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from core.audit import record_event
from core.permissions import has_permission, requires
from subject_requests.choices import UNRESOLVED_TASKS, TaskStatus
from subject_requests.models import SystemTask
from subject_requests.services import RequestError
from subject_requests.services.task_claims import take_over_task
from subject_requests.services.task_results import (
    RESOLUTIONS,
    CallbackRefused,
    complete_by_callback,
    may_resolve,
    resolve_task,
    retry_task,
)
from subject_requests.words import change_items, identifier_items

PAGE_SIZE = 50
# A completion call carries a short JSON object; anything larger is refused unread.
CALLBACK_MAX_BYTES = 16 * 1024


class ResolveForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Result"),
        choices=[(s, TaskStatus(s).label) for s in RESOLUTIONS],
        widget=forms.RadioSelect,
    )
    evidence = forms.CharField(
        label=gettext_lazy("What you did (or where you looked): the evidence"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


@requires("requests.tasks")
@require_GET
def system_tasks(request: HttpRequest) -> HttpResponse:
    """The user's unresolved tasks; a DPO may see everyone's."""
    everyone = request.GET.get("all") == "1" and has_permission(request.user, "requests.decide")
    tasks = SystemTask.objects.filter(status__in=UNRESOLVED_TASKS).select_related(
        "system", "request", "owner"
    )
    if not everyone:
        tasks = tasks.filter(owner_id=request.user.pk)
    page = Paginator(tasks.order_by("due_on", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "subject_requests/system_tasks.html",
        {
            "page": page,
            "everyone": everyone,
            "can_see_all": has_permission(request.user, "requests.decide"),
        },
    )


def _task(request: HttpRequest, pk: int) -> SystemTask:
    task = get_object_or_404(SystemTask.objects.select_related("system", "request", "owner"), pk=pk)
    if not may_resolve(task, request.user):
        raise Http404("No such task.")
    return task


@requires("requests.tasks")
def system_task(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    form = ResolveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            resolve_task(
                task=task,
                status=form.cleaned_data["status"],
                evidence=form.cleaned_data["evidence"],
                actor=request.user,
            )
        except RequestError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Recorded. Thank you."))
            return redirect("subject_requests:system_tasks")
    if task.payload or task.found:
        # Every look at a person's data is logged.
        record_event(
            action="request.system_task_viewed",
            actor=request.user,
            target=task.request or task,
            details={"task": task.pk},
        )
    payload = task.payload or {}
    return render(
        request,
        "subject_requests/system_task.html",
        {
            "task": task,
            "payload": payload,
            "person_items": identifier_items(payload.get("person") or {}),
            "change_items": change_items(payload.get("changes") or {}),
            "found": (task.found or {}).get("parts", []),
            "form": form,
        },
        status=400 if request.method == "POST" else 200,
    )


@requires("requests.decide")
@require_POST
def system_task_retry(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(SystemTask, pk=pk)
    try:
        retry_task(task=task, actor=request.user)
    except RequestError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Sent again."))
    return redirect(task.request or "subject_requests:system_tasks")


@requires("requests.decide")
@require_POST
def system_task_take_over(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(SystemTask, pk=pk)
    if request.POST.get("understood") != "yes":
        messages.error(request, _("Confirm that its worker stopped, then take it over."))
    else:
        try:
            take_over_task(task=task, actor=request.user)
        except RequestError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Taken over: the portal carries it out again."))
    return redirect(task.request or "subject_requests:system_tasks")


@csrf_exempt  # a system's signed call: the signature over the body is its proof, not a cookie
@requires("hooks.system_tasks")
@require_POST
def system_task_callback(request: HttpRequest, token: str) -> JsonResponse:
    length = int(request.headers.get("Content-Length") or 0)
    if length > CALLBACK_MAX_BYTES:
        return JsonResponse({"error": "The body is too large."}, status=413)
    try:
        done = complete_by_callback(
            token=token,
            body=request.body,
            headers=dict(request.headers),
        )
    except CallbackRefused as refused:
        return JsonResponse(refused.body(), status=refused.status)
    return JsonResponse({"task": done.task.pk, "status": done.task.status})
