"""Self-service pages: the preference centre with its receipts, and requests from inside."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from consent.models import ConsentEvent
from core.permissions import requires
from selfservice import preferences, requests, session
from selfservice.forms import FileRequestForm
from selfservice.receipt import consent_record, receipt_lines
from selfservice.views import PERMISSION, page
from subject_requests.choices import TYPE_EXPLANATIONS, RequestType
from subjects.models import DataSubject


@requires(PERMISSION)
@session.subject_required
@require_http_methods(["GET", "POST"])
def preference_centre(request: HttpRequest, subject: DataSubject) -> HttpResponse:
    if request.method == "POST":
        try:
            purpose_id = int(request.POST.get("purpose", ""))
        except ValueError:
            purpose_id = 0
        try:
            event = preferences.change_preference(
                subject=subject, purpose_id=purpose_id, action=request.POST.get("action", "")
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("selfservice:preferences")
        if preferences.erases_the_person(subject, event):
            # An objecting prospect's data is erased at once (Art. 17(1)(c)); the session
            # ends with it, so the receipt is shown here, once.
            session.end(request)
            return page(
                request, subject, "selfservice/receipt.html", event=event, erased=True,
                lines=receipt_lines(event), record=json.dumps(consent_record(event), indent=2),
            )  # fmt: skip
        messages.success(request, _("Done. Here is your receipt."))
        return redirect("selfservice:receipt", event_id=event.pk)
    return page(
        request,
        subject,
        "selfservice/preferences.html",
        section="preferences",
        choices=preferences.preference_choices(subject),
        events=preferences.own_events(subject),
    )


def _own_event(subject: DataSubject, event_id: int) -> ConsentEvent:
    event = (
        ConsentEvent.objects.filter(pk=event_id, subject=subject)
        .select_related("purpose", "policy_version", "subject")
        .first()
    )
    if event is None:
        raise Http404()
    return event


@requires(PERMISSION)
@session.subject_required
def receipt(request: HttpRequest, subject: DataSubject, event_id: int) -> HttpResponse:
    event = _own_event(subject, event_id)
    return page(
        request, subject, "selfservice/receipt.html", event=event, lines=receipt_lines(event),
        record=json.dumps(consent_record(event), indent=2, ensure_ascii=False),
    )  # fmt: skip


@requires(PERMISSION)
@session.subject_required
def receipt_download(request: HttpRequest, subject: DataSubject, event_id: int) -> HttpResponse:
    event = _own_event(subject, event_id)
    body = json.dumps(consent_record(event), indent=2, ensure_ascii=False)
    response = HttpResponse(body.encode("utf-8"), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="consent-receipt-{event.pk}.json"'
    response["Cache-Control"] = "private, no-store"
    return response


@requires(PERMISSION)
@session.subject_required
@require_http_methods(["GET", "POST"])
def own_requests(request: HttpRequest, subject: DataSubject) -> HttpResponse:
    form = FileRequestForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        filed = requests.file_request(
            subject=subject,
            type=form.cleaned_data["type"],
            description=form.cleaned_data["description"],
            language=get_language() or "en",
        )
        messages.success(
            request,
            _("We have received your request %(reference)s. You need not confirm your "
              "identity again.") % {"reference": filed.reference},
        )  # fmt: skip
        return redirect("selfservice:requests")
    if request.method == "POST":
        status = 400
    rights = [
        {"value": value, "label": label, "explanation": TYPE_EXPLANATIONS[value]}
        for value, label in RequestType.choices
    ]
    return page(
        request, subject, "selfservice/requests.html", section="requests", form=form, rights=rights,
        requests=requests.own_requests(subject), status=status,
    )  # fmt: skip


@requires(PERMISSION)
@session.subject_required
@require_POST
def withdraw_request(request: HttpRequest, subject: DataSubject, request_id: int) -> HttpResponse:
    if requests.withdraw_own_request(subject=subject, request_id=request_id) is None:
        messages.error(request, _("This request cannot be withdrawn."))
    else:
        messages.success(request, _("Your request has been withdrawn."))
    return redirect("selfservice:requests")
