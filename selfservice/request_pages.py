"""Public pages for data subjects (no login): the request form, the verification link, the
status page and the answer documents. Every string is translatable (English, Estonian,
Latvian)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.http import client_ip
from core.permissions import requires
from core.timeutil import legal_date
from retention.periods import Period
from selfservice.forms import PublicRequestForm
from selfservice.ratelimit import allow_answer_link, allow_public_request
from subject_requests import delivery, services
from subject_requests.choices import TYPE_EXPLANATIONS, RequestType, Status
from subject_requests.deadlines import answer_periods
from subject_requests.models import SubjectRequest
from subject_requests.services.identity import VERIFICATION_LINK_DAYS
from subject_requests.transmission_forms import RECEIVER_FIELDS

# What the requester reads about each status, in plain words.
STATUS_EXPLANATIONS = {
    Status.RECEIVED: gettext_lazy("We have received your request."),
    Status.AWAITING_IDENTITY: gettext_lazy(
        "We are waiting for you to confirm your identity. Follow the link in the e-mail we "
        "sent you."
    ),
    Status.VERIFIED: gettext_lazy(
        "Your identity is confirmed. We will start working on your request."
    ),
    Status.IN_PROGRESS: gettext_lazy("We are working on your request."),
    Status.COMPLETED: gettext_lazy("We have answered your request."),
    Status.REJECTED: gettext_lazy(
        "We could not act on your request. The letter we sent explains why."
    ),
    Status.WITHDRAWN: gettext_lazy("You withdrew this request."),
    Status.CLOSED_UNVERIFIED: gettext_lazy(
        "The request was closed because your identity was not confirmed."
    ),
}


EMAIL_CONFIRMED_UNMATCHED = gettext_lazy(
    "You have confirmed your e-mail address. We are now checking your identity ourselves and "
    "will write to you if we need anything more from you."
)


def status_explanation(subject_request: SubjectRequest) -> str:
    """The status in the requester's words; a confirmed e-mail that matched nobody still awaits
    the DPO's identity check, and the requester has done their part."""
    if subject_request.status == Status.AWAITING_IDENTITY and subject_request.email_confirmed_at:
        return str(EMAIL_CONFIRMED_UNMATCHED)
    return str(STATUS_EXPLANATIONS[Status(subject_request.status)])


@requires("requests.public")
@require_http_methods(["GET", "POST"])
def request_form(request: HttpRequest) -> HttpResponse:
    form = PublicRequestForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["website"]:
            # A bot filled the honeypot: answer as if all went well, store nothing.
            return redirect("requests_public:sent")
        if not allow_public_request(ip=client_ip(request), email=data["email"]):
            form.add_error(
                None,
                _(
                    "Too many requests have been sent from here or for this e-mail address. "
                    "Please try again later, or write to us by e-mail."
                ),
            )
            status = 429
        else:
            try:
                services.submit_request(
                    type=data["type"],
                    name=data["name"],
                    email=data["email"],
                    description=data["description"],
                    language=get_language() or "en",
                    via_agent=data["via_agent"],
                    agent_name=data["agent_name"],
                    receiver=form.receiver(),
                )
            except services.RequestError as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("requests_public:sent")
    elif request.method == "POST":
        status = 400
    rights = [
        {"value": value, "label": label, "explanation": TYPE_EXPLANATIONS[value]}
        for value, label in RequestType.choices
    ]
    return render(
        request,
        "subject_requests/public/request_form.html",
        {"form": form, "rights": rights, "receiver_fields": RECEIVER_FIELDS, **answer_periods()},
        status=status,
    )


@requires("requests.public")
def request_sent(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "subject_requests/public/request_sent.html",
        {"link_period": Period(days=VERIFICATION_LINK_DAYS)},
    )


@requires("requests.public")
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest, token: str) -> HttpResponse:
    """GET only shows a button: mail scanners that fetch links must not use up the link."""
    if request.method == "POST":
        try:
            subject_request = services.verify_by_link(token=token)
        except services.InvalidLink as exc:
            return render(
                request,
                "subject_requests/public/link_problem.html",
                {"problem": str(exc), "expired": isinstance(exc, services.ExpiredLink)},
                status=400,
            )
        return redirect("requests_public:status", token=services.status_token(subject_request))
    return render(request, "subject_requests/public/verify.html", {"token": token})


def _status_request(token: str) -> SubjectRequest | None:
    try:
        return services.request_for_status_token(token)
    except services.InvalidLink:
        return None


@requires("requests.public")
def status(request: HttpRequest, token: str) -> HttpResponse:
    subject_request = _status_request(token)
    if subject_request is None:
        return render(
            request,
            "subject_requests/public/link_problem.html",
            {"problem": _("This link is not valid.")},
            status=404,
        )
    now = timezone.now()
    return render(
        request,
        "subject_requests/public/status.html",
        {
            "req": subject_request,
            "token": token,
            "explanation": status_explanation(subject_request),
            "due_on": subject_request.due_on(now),
            "received_on": legal_date(subject_request.received_at),
        },
    )


@requires("requests.public")
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, token: str) -> HttpResponse:
    subject_request = _status_request(token)
    if subject_request is None:
        return render(
            request,
            "subject_requests/public/link_problem.html",
            {"problem": _("This link is not valid.")},
            status=404,
        )
    if not subject_request.is_open:
        messages.info(request, _("This request is already closed."))
        return redirect("requests_public:status", token=token)
    if request.method == "POST":
        try:
            services.withdraw_request(request=subject_request, actor="data subject")
        except services.RequestError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Your request has been withdrawn."))
        return redirect("requests_public:status", token=token)
    return render(
        request,
        "subject_requests/public/withdraw.html",
        {"req": subject_request, "token": token},
    )


def _link_problem(request: HttpRequest, problem: str, status: int) -> HttpResponse:
    return render(
        request, "subject_requests/public/link_problem.html", {"problem": problem}, status=status
    )


@requires("requests.public")
def answers(request: HttpRequest, token: str) -> HttpResponse:
    """The requester's documents, behind their signed link (one request, one person)."""
    try:
        subject_request = delivery.request_for_token(token)
    except delivery.LinkExpired:
        return render(
            request,
            "subject_requests/public/answers_expired.html",
            {"token": token, "days": delivery.link_days()},
            status=410,
        )
    except delivery.LinkInvalid:
        return _link_problem(request, _("This link is not valid."), 404)
    documents = list(delivery.documents_for(subject_request).only(
        "id", "kind", "file_name", "size", "content_type", "built_at"
    ))  # fmt: skip
    return render(
        request,
        "subject_requests/public/answers.html",
        {"req": subject_request, "token": token, "documents": documents},
    )


@requires("requests.public")
def answer_download(request: HttpRequest, token: str, answer_id: int) -> HttpResponse:
    try:
        subject_request = delivery.request_for_token(token)
    except delivery.LinkExpired:
        return redirect("requests_public:answers", token=token)
    except delivery.LinkInvalid:
        return _link_problem(request, _("This link is not valid."), 404)
    return _file(request, delivery.download(subject_request, answer_id))


def _file(request: HttpRequest, document: delivery.Download | None) -> HttpResponse:
    if document is None:
        return _link_problem(request, _("This document is not available."), 404)
    response = HttpResponse(document.content, content_type=document.content_type)
    response["Content-Disposition"] = f'attachment; filename="{document.file_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _renew(
    request: HttpRequest,
    token: str,
    *,
    audience: delivery.Audience,
    renew: Callable[[SubjectRequest], object],
    template: str,
) -> HttpResponse:
    """An expired link (of the requester's, or of the receiving company's) asks for a new
    one, sent to the address the link was sent to; rate-limited per request."""
    try:
        subject_request = delivery.request_for_token(token, audience)
    except delivery.LinkExpired as expired:
        subject_request = expired.request
    except delivery.LinkInvalid:
        return _link_problem(request, _("This link is not valid."), 404)
    limited = not allow_answer_link(request_id=subject_request.pk)
    if not limited:
        renew(subject_request)
    return render(
        request,
        template,
        {"renewed": not limited, "limited": limited},
        status=429 if limited else 200,
    )


@requires("requests.public")
@require_http_methods(["POST"])
def answers_renew(request: HttpRequest, token: str) -> HttpResponse:
    """A new link, sent to the address the request came from."""
    return _renew(
        request,
        token,
        audience=delivery.REQUESTER,
        renew=lambda asking: services.renew_answer_link(request=asking),
        template="subject_requests/public/answers_renewed.html",
    )


# --- GDPR Art. 20(2): the company a portability package was sent to --------------------------


@requires("requests.public")
def transfer(request: HttpRequest, token: str) -> HttpResponse:
    """The package, behind the receiving company's own signed link (`delivery.RECEIVER`)."""
    try:
        subject_request = delivery.request_for_token(token, delivery.RECEIVER)
    except delivery.LinkExpired:
        return render(
            request,
            "subject_requests/public/transfer_expired.html",
            {"token": token, "days": delivery.link_days()},
            status=410,
        )
    except delivery.LinkInvalid:
        return _link_problem(request, _("This link is not valid."), 404)
    documents = list(delivery.documents_for(subject_request, delivery.RECEIVER).only(
        "id", "kind", "file_name", "size", "content_type", "built_at"
    ))  # fmt: skip
    return render(
        request,
        "subject_requests/public/transfer.html",
        {
            "req": subject_request,
            "token": token,
            "documents": documents,
            "controller": settings.PRIVACY_CONTROLLER_NAME,
        },
    )


@requires("requests.public")
def transfer_download(request: HttpRequest, token: str, answer_id: int) -> HttpResponse:
    try:
        subject_request = delivery.request_for_token(token, delivery.RECEIVER)
    except delivery.LinkExpired:
        return redirect("requests_public:transfer", token=token)
    except delivery.LinkInvalid:
        return _link_problem(request, _("This link is not valid."), 404)
    return _file(request, delivery.download(subject_request, answer_id, delivery.RECEIVER))


@requires("requests.public")
@require_http_methods(["POST"])
def transfer_renew(request: HttpRequest, token: str) -> HttpResponse:
    """A new link, sent to the address the DPO confirmed."""
    return _renew(
        request,
        token,
        audience=delivery.RECEIVER,
        renew=lambda asking: services.renew_receiver_link(request=asking),
        template="subject_requests/public/transfer_expired.html",
    )
