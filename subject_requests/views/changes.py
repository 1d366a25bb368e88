"""Pages that carry out rectification, restriction and objection from the request, for one
matched person: each shows the person's current state and what the change will be, and calls
its service (`services.changes`). Refusals come from the service and its guards."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from consent.models import ObjectionReview
from core.audit import record_event
from core.permissions import requires
from subject_requests.choices import ACTIONS_FOR_TYPE, ActionKind
from subject_requests.models import SubjectRequest
from subject_requests.rights_forms import ObjectionForm, RectificationForm, RestrictForm
from subject_requests.services import RequestError, changes
from subjects.models import DataSubject


def _request_and_person(pk: int, subject_pk: int, kind: str) -> tuple[SubjectRequest, DataSubject]:
    subject_request = get_object_or_404(SubjectRequest.objects.defer("agent_proof"), pk=pk)
    if kind not in ACTIONS_FOR_TYPE.get(subject_request.type, ()):
        raise Http404("This right is not answered that way.")
    person = subject_request.subjects.filter(pk=subject_pk).first()
    if person is None:
        raise Http404("Not a person matched to this request.")
    return subject_request, person


def _viewed(request: HttpRequest, subject_request: SubjectRequest, person: DataSubject) -> None:
    record_event(
        action="subject.viewed",
        actor=request.user,
        target=person,
        details={"request": subject_request.reference},
    )


@requires("requests.decide")
def rectify(request: HttpRequest, pk: int, subject_pk: int) -> HttpResponse:
    """GET: the form; POST: the before and after to check; POST with `confirm`: correct."""
    subject_request, person = _request_and_person(pk, subject_pk, ActionKind.RECTIFICATION)
    _viewed(request, subject_request, person)
    form = RectificationForm(request.POST or None, subject=person)
    diff: list[tuple[str, str, str]] = []
    if request.method == "POST" and form.is_valid():
        corrected = form.corrected()
        changed = changes.rectification_diff(person, corrected)
        if not changed:
            form.add_error(None, _("Nothing changes: correct at least one value."))
        elif "confirm" in request.POST:
            try:
                changes.rectify(
                    request=subject_request, subject=person, fields=corrected, actor=request.user
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            except RequestError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, _("Corrected; the systems holding the changed data are told.")
                )
                return redirect(subject_request)
        else:
            diff = [
                (str(form.fields[name].label), before, after)
                for name, (before, after) in changed.items()
            ]
    return render(
        request,
        "subject_requests/rectify.html",
        {"req": subject_request, "person": person, "form": form, "diff": diff},
        status=400 if request.method == "POST" and not diff else 200,
    )


@requires("requests.decide")
def restriction(request: HttpRequest, pk: int, subject_pk: int) -> HttpResponse:
    subject_request, person = _request_and_person(pk, subject_pk, ActionKind.RESTRICTION)
    _viewed(request, subject_request, person)
    form = RestrictForm(request.POST if request.POST.get("op") == "restrict" else None)
    if request.method == "POST":
        op = request.POST.get("op")
        try:
            if op == "restrict" and form.is_valid():
                changes.restrict(
                    request=subject_request,
                    subject=person,
                    ground=form.cleaned_data["ground"],
                    note=form.cleaned_data["note"],
                    actor=request.user,
                )
                messages.success(request, _("Processing is restricted; the systems are told."))
                return redirect(subject_request)
            if op == "announce":
                changes.announce_lift(request=subject_request, subject=person, actor=request.user)
                messages.success(
                    request, _("The requester is told the restriction will be lifted.")
                )
                return redirect("subject_requests:restriction", pk=pk, subject_pk=subject_pk)
            if op == "lift":
                changes.lift(request=subject_request, subject=person, actor=request.user)
                messages.success(request, _("The restriction is lifted."))
                return redirect(subject_request)
            if op not in ("restrict", "announce", "lift"):
                messages.error(request, _("Choose what to do."))
        except RequestError as exc:
            messages.error(request, str(exc))
    return render(
        request,
        "subject_requests/restriction.html",
        {"req": subject_request, "person": person, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@requires("requests.decide")
def objection(request: HttpRequest, pk: int, subject_pk: int) -> HttpResponse:
    subject_request, person = _request_and_person(pk, subject_pk, ActionKind.OBJECTION)
    _viewed(request, subject_request, person)
    purposes = changes.objection_purposes(subject_request, person)
    form = ObjectionForm(request.POST or None, purposes=purposes)
    if request.method == "POST" and form.is_valid():
        try:
            changes.object_from_request(
                request=subject_request,
                subject=person,
                purposes=list(form.cleaned_data["purposes"]),
                actor=request.user,
            )
        except RequestError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The objection is recorded in the consent ledger."))
            return redirect("subject_requests:objection", pk=pk, subject_pk=subject_pk)
    reviews = ObjectionReview.objects.filter(subject=person).select_related("purpose")
    return render(
        request,
        "subject_requests/objection.html",
        {
            "req": subject_request,
            "person": person,
            "form": form,
            "purposes": purposes,
            "reviews": list(reviews.order_by("-opened_at")),
            "marketing": subject_request.type == "objection_marketing",
        },
        status=400 if request.method == "POST" else 200,
    )
