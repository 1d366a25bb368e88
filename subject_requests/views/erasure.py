"""The erasure's pages on a request: its preview, proposal, confirmation by a DPO and the
withdrawal of a proposal. Each shows what its service would do and calls it; refusals come
from the service and its guards (`views.changes` carries out the other rights)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.audit import record_event
from core.permissions import has_permission, requires
from subject_requests.choices import ActionKind, RequestType
from subject_requests.models import SubjectRequest
from subject_requests.rights_forms import (
    CancelErasureForm,
    ConfirmErasureForm,
    ProposeErasureForm,
)
from subject_requests.selectors import request_actions
from subject_requests.services import RequestError, platform_erasure
from subject_requests.services import erasure as erasure_services
from subject_requests.words import describe_action
from subjects.erasure_preview import erasure_preview


def _erasure_request(pk: int) -> SubjectRequest:
    subject_request = get_object_or_404(SubjectRequest.objects.defer("agent_proof"), pk=pk)
    if subject_request.type != RequestType.ERASURE:
        raise Http404("Not an erasure request.")
    return subject_request


def _erasure_page(
    request: HttpRequest,
    subject_request: SubjectRequest,
    *,
    propose_form: ProposeErasureForm | None = None,
    confirm_form: ConfirmErasureForm | None = None,
    cancel_form: CancelErasureForm | None = None,
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    actions = request_actions(subject_request, user=request.user, now=now)
    people = erasure_services.erasure_candidates(subject_request)
    record_event(
        action="request.erasure_previewed",
        actor=request.user,
        target=subject_request,
        details={"reference": subject_request.reference, "people": len(people)},
    )
    erasures = list(
        subject_request.actions.filter(kind=ActionKind.ERASURE).select_related(
            "subject", "proposed_by", "done_by"
        )
    )
    proposed = [a for a in erasures if a.status == "proposed"]
    # The dry run in the databases the portal erases itself, while the erasure is ahead.
    databases = (
        {person.pk: platform_erasure.previews_for(person) for person in people}
        if not any(a.status == "done" for a in erasures)
        else {}
    )
    confirm_refusal = (
        erasure_services.confirm_refusal(subject_request, actor=request.user, now=now)
        if proposed and has_permission(request.user, "requests.decide")
        else None
    )
    return render(
        request,
        "subject_requests/erasure.html",
        {
            "req": subject_request,
            "previews": [
                (preview, databases.get(preview.subject.pk, []))
                for preview in erasure_preview(people)
            ],
            "proposed": proposed,
            "done": [(a, describe_action(a)) for a in erasures if a.status == "done"],
            "certificates": platform_erasure.certificates(subject_request),
            "can_propose": "propose-erasure" in actions,
            "propose_refusal": actions.refused.get("propose-erasure", ""),
            "can_confirm": "confirm-erasure" in actions and confirm_refusal is None,
            "confirm_refusal": confirm_refusal or actions.refused.get("confirm-erasure", ""),
            "can_cancel": "cancel-erasure" in actions,
            "propose_form": propose_form or ProposeErasureForm(),
            "confirm_form": confirm_form or ConfirmErasureForm(),
            "cancel_form": cancel_form or CancelErasureForm(),
        },
        status=status,
    )


@requires("requests.queue")
def erasure(request: HttpRequest, pk: int) -> HttpResponse:
    return _erasure_page(request, _erasure_request(pk))


@requires("requests.propose")
@require_POST
def erasure_propose(request: HttpRequest, pk: int) -> HttpResponse:
    subject_request = _erasure_request(pk)
    form = ProposeErasureForm(request.POST)
    if form.is_valid():
        try:
            erasure_services.propose_erasure(
                request=subject_request, actor=request.user, note=form.cleaned_data["note"]
            )
        except RequestError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Erasure proposed: a DPO confirms it on this page."))
            return redirect("subject_requests:erasure", pk=pk)
    return _erasure_page(request, subject_request, propose_form=form, status=400)


@requires("requests.decide")
@require_POST
def erasure_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    subject_request = _erasure_request(pk)
    form = ConfirmErasureForm(request.POST)
    if form.is_valid():
        try:
            done = erasure_services.confirm_erasure(request=subject_request, actor=request.user)
        except RequestError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _(
                    "Erasure carried out: %(erased)d erased, %(claims)d kept for a claim, "
                    "%(held)d kept by a legal hold until it is lifted."
                )
                % {
                    "erased": len(done.erased),
                    "claims": len(done.kept_for_claims),
                    "held": len(done.deferred_for_hold),
                },
            )
            return redirect(subject_request)
    return _erasure_page(request, subject_request, confirm_form=form, status=400)


@requires("requests.propose")
@require_POST
def erasure_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    subject_request = _erasure_request(pk)
    form = CancelErasureForm(request.POST)
    if form.is_valid():
        try:
            erasure_services.cancel_erasure(
                request=subject_request, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except RequestError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The erasure proposal is withdrawn."))
            return redirect("subject_requests:erasure", pk=pk)
    return _erasure_page(request, subject_request, cancel_form=form, status=400)
