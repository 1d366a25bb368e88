"""Staff pages for what gathers on a request's timeline: internal notes, messages to the
requester, documents, and the downloads of documents and an agent's authorisation (each
download is logged, as every look at a person's data is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.audit import record_event
from core.permissions import requires
from subject_requests import services
from subject_requests.forms import DocumentForm, MessageForm, NoteForm
from subject_requests.models import SubjectRequest, TimelineEntry


def _post_entry(
    request: HttpRequest,
    pk: int,
    form: forms.Form,
    run: Callable[[SubjectRequest], Any],
    done: str,
) -> HttpResponse:
    subject_request = get_object_or_404(SubjectRequest.objects.defer("agent_proof"), pk=pk)
    if form.is_valid():
        try:
            run(subject_request)
        except services.RequestError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, done)
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect(subject_request)


@requires("requests.queue")
@require_POST
def add_note(request: HttpRequest, pk: int) -> HttpResponse:
    form = NoteForm(request.POST)
    return _post_entry(
        request,
        pk,
        form,
        lambda r: services.add_note(request=r, text=form.cleaned_data["text"], actor=request.user),
        _("Note added."),
    )


@requires("requests.queue")
@require_POST
def send_message(request: HttpRequest, pk: int) -> HttpResponse:
    form = MessageForm(request.POST)
    return _post_entry(
        request,
        pk,
        form,
        lambda r: services.send_message(
            request=r, text=form.cleaned_data["text"], actor=request.user
        ),
        _("Message sent to the requester."),
    )


@requires("requests.queue")
@require_POST
def add_document(request: HttpRequest, pk: int) -> HttpResponse:
    form = DocumentForm(request.POST, request.FILES)

    def run(r: SubjectRequest) -> Any:
        upload = form.cleaned_data["file"]
        return services.attach_document(
            request=r,
            content=upload.read(),
            name=upload.name or "document",
            content_type=upload.content_type or "application/octet-stream",
            note=form.cleaned_data["note"],
            actor=request.user,
        )

    return _post_entry(request, pk, form, run, _("Document added."))


def _download(content: bytes, name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type or "application/octet-stream")
    safe = "".join(c for c in name if c.isalnum() or c in "._- ") or "document"
    response["Content-Disposition"] = f'attachment; filename="{safe}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@requires("requests.queue")
@require_GET
def document(request: HttpRequest, pk: int, entry_id: int) -> HttpResponse:
    entry = get_object_or_404(
        TimelineEntry.objects.select_related("request"),
        pk=entry_id,
        request_id=pk,
        document__isnull=False,
    )
    record_event(
        action="request.document_viewed",
        actor=request.user,
        target=entry.request,
        details={"reference": entry.request.reference, "entry": entry.pk},
    )
    return _download(
        entry.document or b"", entry.document_name or "document", entry.document_content_type
    )


@requires("requests.queue")
@require_GET
def agent_proof(request: HttpRequest, pk: int) -> HttpResponse:
    subject_request = get_object_or_404(SubjectRequest, pk=pk, agent_proof__isnull=False)
    record_event(
        action="request.agent_proof_viewed",
        actor=request.user,
        target=subject_request,
        details={"reference": subject_request.reference},
    )
    return _download(
        subject_request.agent_proof or b"",
        subject_request.agent_proof_name or "authorisation",
        subject_request.agent_proof_content_type,
    )
