"""The DPO's page for sending a portability package to the company the requester named
(GDPR Art. 20(2)): the company's name and address, and the two decisions — confirm, after
checking them, or decline with reasons (Art. 20(4), 12(4)). Plumbing only: the rules are
`guards.can_decide_transmission` and `services.transmission`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.audit import record_event
from core.permissions import requires
from subject_requests import guards
from subject_requests.delivery import link_days
from subject_requests.models import SubjectRequest
from subject_requests.rights_forms import ConfirmTransmissionForm, DeclineTransmissionForm
from subject_requests.services import RequestError
from subject_requests.services import transmission as transmission_services


def _asking(pk: int) -> SubjectRequest:
    subject_request = get_object_or_404(SubjectRequest.objects.defer("agent_proof"), pk=pk)
    if not subject_request.transmission:
        raise Http404("The requester named no company to send the data to.")
    return subject_request


def _page(
    request: HttpRequest,
    subject_request: SubjectRequest,
    *,
    confirm_form: ConfirmTransmissionForm | None = None,
    decline_form: DeclineTransmissionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    record_event(
        action="request.transmission_viewed",
        actor=request.user,
        target=subject_request,
        details={"reference": subject_request.reference},
    )
    return render(
        request,
        "subject_requests/transmission.html",
        {
            "req": subject_request,
            "refusal": guards.can_decide_transmission(subject_request, timezone.now()),
            "confirm_form": confirm_form or ConfirmTransmissionForm(),
            "decline_form": decline_form
            or DeclineTransmissionForm(initial={"reason": subject_request.transmission_reason}),
            "link_days": link_days(),
            "resend_refusal": transmission_services.resend_refusal(subject_request),
        },
        status=status,
    )


@requires("requests.decide")
@require_GET
def transmission(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _asking(pk))


def _decide(
    request: HttpRequest,
    pk: int,
    *,
    form: ConfirmTransmissionForm | DeclineTransmissionForm,
    act: Callable[[SubjectRequest, dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    """A DPO's decision on the transmission: the service's refusal re-displays the form."""
    subject_request = _asking(pk)
    if form.is_valid():
        try:
            act(subject_request, form.cleaned_data)
        except RequestError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, done)
            return redirect(subject_request)
    return _page(
        request,
        subject_request,
        confirm_form=form if isinstance(form, ConfirmTransmissionForm) else None,
        decline_form=form if isinstance(form, DeclineTransmissionForm) else None,
        status=400,
    )


@requires("requests.decide")
@require_POST
def transmission_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(
        request,
        pk,
        form=ConfirmTransmissionForm(request.POST),
        act=lambda asking, _data: transmission_services.confirm_transmission(
            request=asking, actor=request.user
        ),
        done=_("Confirmed: the package goes to the company when you complete the request."),
    )


@requires("requests.decide")
@require_POST
def transmission_decline(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(
        request,
        pk,
        form=DeclineTransmissionForm(request.POST),
        act=lambda asking, data: transmission_services.decline_transmission(
            request=asking, reason=data["reason"], actor=request.user
        ),
        done=_("Declined: the package goes to the requester, and the letter says why."),
    )


@requires("requests.decide")
@require_POST
def transmission_resend(request: HttpRequest, pk: int) -> HttpResponse:
    """A new link to the company, at the confirmed address (the old one stops working)."""
    subject_request = _asking(pk)
    if transmission_services.renew_receiver_link(request=subject_request, actor=request.user):
        messages.success(request, _("A new link is on its way to the company."))
    else:
        refusal = transmission_services.resend_refusal(subject_request)
        messages.error(request, refusal or _("Nothing was sent."))
    return redirect("subject_requests:transmission", pk=pk)
