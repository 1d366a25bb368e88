"""Self-service pages: sign-in, the person's data and copy, and check-and-update.

Views are plumbing: a form, one service, a page. Every page after sign-in takes the person
from the subject session (`session.subject_required`) and reads only their rows.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.audit import record_event, subject_actor
from core.http import client_ip
from core.permissions import requires
from core.timeutil import legal_today
from reports.collect import collect
from selfservice import copies, links, session
from selfservice.corrections import (
    CHECKED_FIELDS,
    DIRECT_FIELDS,
    correct_own_data,
)
from selfservice.forms import CorrectionForm, SignInForm
from subject_requests.choices import AnswerStatus
from subjects.models import DataSubject

PERMISSION = "selfservice.public"


def _language() -> str:
    return get_language() or "en"


@requires(PERMISSION)
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and session.current_subject(request) is not None:
        return redirect("selfservice:mine")
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        if not links.allow_link_request(ip=client_ip(request), email=email):
            form.add_error(
                None,
                _("Too many links have been asked for from here or for this address. Please "
                  "try again in an hour."),
            )  # fmt: skip
            return render(request, "selfservice/start.html", {"form": form}, status=429)
        links.request_sign_in_link(email=email, language=_language())
        # The same answer whether or not the address is known (no enumeration).
        return render(request, "selfservice/link_sent.html", {"minutes": links.LINK_MINUTES})
    status = 400 if request.method == "POST" else 200
    return render(request, "selfservice/start.html", {"form": form}, status=status)


def _link_problem(request: HttpRequest, problem: str) -> HttpResponse:
    return render(request, "selfservice/link_problem.html", {"problem": problem}, status=400)


def _problem_text(exc: links.LinkInvalid) -> str:
    if isinstance(exc, links.LinkExpired):
        return _("This link has expired: links work for 30 minutes. Ask for a new one.")
    if isinstance(exc, links.LinkUsed):
        return _("This link has been used already: each link works once. Ask for a new one.")
    return _("This link is not valid. Ask for a new one.")


@requires(PERMISSION)
@require_http_methods(["GET", "POST"])
def open_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET only shows a button: mail scanners that fetch links must not use them up."""
    try:
        if request.method == "GET":
            links.check_link(token)
            return render(request, "selfservice/open.html", {"token": token})
        subject = links.use_sign_in_link(token=token)
    except links.LinkInvalid as exc:
        return _link_problem(request, _problem_text(exc))
    session.start(request, subject)
    return redirect("selfservice:mine")


@requires(PERMISSION)
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    session.end(request)
    messages.info(request, _("You are signed out."))
    return redirect("selfservice:start")


def page(
    request: HttpRequest,
    subject: DataSubject,
    template: str,
    *,
    status: int = 200,
    **context: object,
) -> HttpResponse:
    """A signed-in page: the person and when their session ends are on every one."""
    return render(
        request,
        template,
        {"person": subject, "session_ends": session.ends_at(request), **context},
        status=status,
    )


@requires(PERMISSION)
@session.subject_required
def mine(request: HttpRequest, subject: DataSubject) -> HttpResponse:
    """What the portal holds about the person, grouped as in the access report."""
    data = collect(subject, language=_language(), as_of=legal_today())
    record_event(action="selfservice.data_viewed", actor=subject_actor(subject.pk), target=subject)
    return page(
        request,
        subject,
        "selfservice/mine.html",
        section="data",
        data=data,
        copy=copies.latest_copy(subject),
    )


@requires(PERMISSION)
@session.subject_required
@require_POST
def copy_request(request: HttpRequest, subject: DataSubject) -> HttpResponse:
    copies.request_copy(subject=subject, language=_language())
    return redirect("selfservice:mine")


@requires(PERMISSION)
@session.subject_required
def copy_progress(request: HttpRequest, subject: DataSubject, copy_id: int) -> HttpResponse:
    copy = copies.own_copy(subject, copy_id)
    if copy is None:
        return JsonResponse({"detail": "not found"}, status=404)
    note = {
        AnswerStatus.READY: _("Ready"),
        AnswerStatus.FAILED: _("Failed"),
    }.get(AnswerStatus(copy.status), _("Building your copy"))
    return JsonResponse({"status": copy.status, "progress": copy.progress, "note": note})


@requires(PERMISSION)
@session.subject_required
def copy_download(
    request: HttpRequest, subject: DataSubject, copy_id: int, which: str
) -> HttpResponse:
    document = copies.download_copy(subject=subject, copy_id=copy_id, which=which)
    if document is None:
        messages.error(request, _("This copy is no longer available. Ask for a new one."))
        return redirect("selfservice:mine")
    response = HttpResponse(document.content, content_type=document.content_type)
    response["Content-Disposition"] = f'attachment; filename="{document.file_name}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _initial(subject: DataSubject) -> dict[str, object]:
    return {
        "work_phone": subject.work_phone or "",
        "work_address": subject.work_address or "",
        "position": subject.position or "",
        "first_name": subject.first_name or "",
        "last_name": subject.last_name or "",
        "date_of_birth": subject.date_of_birth,
        "work_email": subject.work_email or "",
        "organisation": str(subject.organisation or ""),
    }


@requires(PERMISSION)
@session.subject_required
@require_http_methods(["GET", "POST"])
def correct(request: HttpRequest, subject: DataSubject) -> HttpResponse:
    form = CorrectionForm(
        request.POST or None, initial=_initial(subject), hide_address=subject.is_prospect
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        fields = {k: form.cleaned_data[k] for k in form.fields if k in form.changed_data}
        try:
            outcome = correct_own_data(subject=subject, fields=fields, language=_language())
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                messages.info(request, _("Nothing has changed."))
                return redirect("selfservice:correct")
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
            status = 400
        else:
            if outcome.applied is not None:
                messages.success(
                    request,
                    _("Your data is corrected, and we have passed the correction on to the "
                      "systems that hold it (request %(reference)s).")
                    % {"reference": outcome.applied.reference},
                )  # fmt: skip
            if outcome.asked is not None:
                messages.info(
                    request,
                    _("Changes to your name, date of birth, e-mail or company need a check: "
                      "our data protection officer will handle request %(reference)s.")
                    % {"reference": outcome.asked.reference},
                )  # fmt: skip
            return redirect("selfservice:correct")
    elif request.method == "POST":
        status = 400
    groups = [
        (_("Changed at once"), DIRECT_FIELDS),
        (_("Checked by our data protection officer first"), CHECKED_FIELDS),
    ]
    return page(
        request, subject, "selfservice/correct.html", section="correct", form=form, status=status,
        groups=[
            {"legend": legend, "fields": [form[n] for n in names if n in form.fields]}
            for legend, names in groups
        ],
    )  # fmt: skip
