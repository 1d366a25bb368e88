"""The DPO's answer documents on a request's page: build, follow the progress, open, review,
try again; and the preview of a letter before it is sent. Plumbing only: the rules are the
guards' and the services'."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.permissions import requires
from subject_requests import services
from subject_requests.choices import Status
from subject_requests.deadlines import request_deadline
from subject_requests.forms import CompleteForm, OptionalReasonForm, ReasonForm
from subject_requests.letters import render_letter_html, render_letter_pdf
from subject_requests.models import Answer, SubjectRequest


def _answer(pk: int, answer_id: int) -> Answer:
    return get_object_or_404(Answer.objects.select_related("request"), pk=answer_id, request_id=pk)


def _back(request: SubjectRequest) -> HttpResponse:
    return redirect(f"{request.get_absolute_url()}#fulfilment")


@requires("requests.decide")
@require_POST
def build(request: HttpRequest, pk: int) -> HttpResponse:
    subject_request = get_object_or_404(SubjectRequest, pk=pk)
    try:
        services.request_answer(request=subject_request, actor=request.user)
    except services.RequestError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The document is being built: this page shows its progress."))
    return _back(subject_request)


@requires("requests.queue")
@require_GET
def progress(request: HttpRequest, pk: int, answer_id: int) -> JsonResponse:
    answer = _answer(pk, answer_id)
    return JsonResponse(
        {
            "status": answer.status,
            "progress": answer.progress,
            "note": answer.progress_note,
            "error": answer.error,
            # Its worker stopped: the page, reloaded, offers to take it over.
            "stalled": answer.is_stalled(timezone.now()),
        },
        headers={"Cache-Control": "no-store"},
    )


@requires("requests.decide")
@require_GET
def open_file(request: HttpRequest, pk: int, answer_id: int) -> HttpResponse:
    """The document as the requester will get it (a PDF opens in the browser)."""
    answer = _answer(pk, answer_id)
    if answer.content is None:
        raise Http404("This document has no content (not built, or cleared).")
    services.record_preview(answer=answer, actor=request.user)
    response = HttpResponse(bytes(answer.content), content_type=answer.content_type)
    disposition = "inline" if answer.content_type == "application/pdf" else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{answer.file_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@requires("requests.decide")
@require_POST
def review(request: HttpRequest, pk: int, answer_id: int) -> HttpResponse:
    answer = _answer(pk, answer_id)
    try:
        services.review_answer(answer=answer, actor=request.user)
    except services.RequestError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Reviewed: it goes to the requester when you complete."))
    return _back(answer.request)


@requires("requests.decide")
@require_POST
def retry(request: HttpRequest, pk: int, answer_id: int) -> HttpResponse:
    answer = _answer(pk, answer_id)
    try:
        services.retry_answer(answer=answer, actor=request.user)
    except services.RequestError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Building it again."))
    return _back(answer.request)


@requires("requests.decide")
@require_POST
def take_over(request: HttpRequest, pk: int, answer_id: int) -> HttpResponse:
    answer = _answer(pk, answer_id)
    if request.POST.get("understood") != "yes":
        messages.error(request, _("Confirm that its worker stopped, then take it over."))
        return _back(answer.request)
    try:
        services.take_over_answer(answer=answer, actor=request.user)
    except services.RequestError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Taken over: it is being built again."))
    return _back(answer.request)


# What each decision's letter is, and the form its values come from.
LETTER_PREVIEWS: dict[str, tuple[str, Any]] = {
    "complete": ("closure", CompleteForm),
    "reject": ("rejection", ReasonForm),
    "close": ("closure", ReasonForm),
    "withdraw": ("closure", OptionalReasonForm),
    "extend": ("extension", ReasonForm),
}


def _as_decided(subject_request: SubjectRequest, action: str, data: dict[str, Any]) -> None:
    """The request as it would be after the decision, in memory only (never saved)."""
    if action == "extend":
        subject_request.extension_reason = data["reason"]
        subject_request.extended_at = timezone.now()
        deadline = request_deadline(
            subject_request.received_at, extended=True, pauses=[subject_request.paused_days]
        )
        subject_request.due_at = deadline.due_at
        return
    subject_request.status = {
        "complete": Status.COMPLETED,
        "reject": Status.REJECTED,
        "close": Status.CLOSED_UNVERIFIED,
        "withdraw": Status.WITHDRAWN,
    }[action]
    subject_request.closure_reason = data.get("reason") or data.get("outcome") or ""
    subject_request.refused_part = data.get("refused_part") or ""


@requires("requests.decide")
@require_POST
def letter_preview(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """The letter the decision would send, in the requester's language, as HTML or PDF: what
    the DPO reads before confirming. Posted (the reason is personal data: never in a URL)."""
    if action not in LETTER_PREVIEWS:
        raise Http404("No letter for this action.")
    letter, form_class = LETTER_PREVIEWS[action]
    subject_request = get_object_or_404(SubjectRequest.objects.defer("agent_proof"), pk=pk)
    form = form_class(request.POST)
    if not form.is_valid():
        return HttpResponse(
            _("Fill in the form first: the letter quotes it."),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    _as_decided(subject_request, action, form.cleaned_data)
    now = timezone.now()
    if request.POST.get("format") == "pdf":
        pdf = render_letter_pdf(subject_request, letter=letter, now=now)
        response = HttpResponse(pdf.content, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="letter-preview-{pk}.pdf"'
    else:
        html = render_letter_html(
            subject_request, letter=letter, now=now, stylesheet=static("css/report.css")
        )
        response = HttpResponse(html)
    response["Cache-Control"] = "private, no-store"
    return response
