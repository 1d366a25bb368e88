"""Subject and organisation pages: plumbing between forms, selectors and services."""

from __future__ import annotations

import base64
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.audit import record_event, record_grouped_read
from core.permissions import has_permission, requires
from processing.selectors import holders_of_subject_data, purposes_for_subject
from retention.sections import deadlines_of_person
from subjects import selectors, services
from subjects.field_policy import fields_for_user
from subjects.filters import OrganisationFilterForm
from subjects.forms import (
    ConfirmForm,
    LegalHoldForm,
    OrganisationForm,
    OrganisationStatusForm,
    SubjectFilterForm,
    SubjectForm,
)
from subjects.models import DataSubject, Organisation
from subjects.sections import subject_sections


def _private(response: HttpResponse) -> HttpResponse:
    # Pages with personal data stay out of shared and browser caches.
    response["Cache-Control"] = "private, no-store"
    return response


def _listed_page(
    request: HttpRequest, rows: Any, filters: dict[str, Any], *, action: str, model: Any
) -> Any:
    """One page of a list, its look recorded: a list of names is a look at personal data
    too, and every look is logged. Filter values may themselves name someone, so only their
    names are kept."""
    page = Paginator(rows, selectors.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    # One grouped event with the ids inside, not one row per person shown.
    record_grouped_read(
        action=action,
        actor=request.user,
        target_type=model._meta.label_lower,
        target_ids=[row.pk for row in page.object_list],
        details={"filters": sorted(k for k, v in filters.items() if v), "page": page.number},
    )
    return page


@requires("subjects.list")
def subject_list(request: HttpRequest) -> HttpResponse:
    form = SubjectFilterForm(request.GET or None)
    filters = form.filters() if request.GET else {}
    page = _listed_page(
        request, selectors.subjects_for_list(**filters), filters, action="subjects.listed",
        model=DataSubject,
    )  # fmt: skip
    return _private(
        render(
            request,
            "subjects/subject_list.html",
            {
                "form": form,
                "page": page,
                "searched": bool(filters),
                "can_edit": has_permission(request.user, "subjects.edit"),
            },
        )
    )


@requires("subjects.detail")
def subject_detail(request: HttpRequest, pk: int) -> HttpResponse:
    subject = selectors.subject_for_page(pk)
    if subject is None:
        raise Http404
    full = has_permission(request.user, "subjects.detail.all")
    record_event(
        action="subject.viewed",
        actor=request.user,
        target=subject,
        details={"scope": "all" if full else "identification, contact, consent"},
    )
    context: dict[str, Any] = {
        "subject": subject,
        "full": full,
        "can_edit": has_permission(request.user, "subjects.edit"),
        "groups": selectors.personal_data_groups(subject, fields=fields_for_user(request.user)),
        "sections": subject_sections(request, subject),
    }
    if full:
        purposes = purposes_for_subject(subject)
        lists = selectors.subject_lists(subject, request.GET)
        context.update(
            {
                "photo_url": _photo_data_url(subject),
                "records": lists.records,
                "kind_history": lists.kind_history,
                "purposes": purposes,
                "holders": holders_of_subject_data(subject, purposes),
                "trail": lists.trail,
            }
        )
    return _private(render(request, "subjects/subject_detail.html", context))


@requires("subjects.detail.all")
def subject_retention(request: HttpRequest, pk: int) -> HttpResponse:
    """Each record of the person, the rule that keeps it and the day it goes (the DPO's)."""
    subject = selectors.subject_for_page(pk)
    if subject is None:
        raise Http404
    record_event(
        action="subject.viewed", actor=request.user, target=subject, details={"scope": "retention"}
    )
    context = {"subject": subject, "section": deadlines_of_person(request, subject)}
    return _private(render(request, "subjects/subject_retention.html", context))


def _photo_data_url(subject: DataSubject) -> str:
    if not subject.photo:
        return ""
    encoded = base64.b64encode(subject.photo).decode("ascii")
    return f"data:{subject.photo_content_type or 'image/png'};base64,{encoded}"


@requires("subjects.edit")
@require_http_methods(["GET", "POST"])
def subject_create(request: HttpRequest) -> HttpResponse:
    form = SubjectForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            subject = services.create_subject(actor=request.user, **form.service_fields())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The person's record was created."))
            return redirect(subject)
    return _private(render(request, "subjects/subject_form.html", {"form": form}))


@requires("subjects.edit")
@require_http_methods(["GET", "POST"])
def subject_edit(request: HttpRequest, pk: int) -> HttpResponse:
    subject = get_object_or_404(DataSubject.objects.select_related("organisation"), pk=pk)
    if subject.anonymised_at:
        messages.error(request, _("This person has been anonymised; their record cannot change."))
        return redirect(subject)
    form = SubjectForm(request.POST or None, request.FILES or None, subject=subject)
    if request.method == "POST" and form.is_valid():
        try:
            updated = services.update_subject(
                subject=subject,
                actor=request.user,
                kind_changed_on=form.kind_change_day(),
                **form.service_fields(),
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            if updated.flagged_for_erasure_at and not subject.flagged_for_erasure_at:
                messages.warning(
                    request,
                    _(
                        "The corrected date of birth shows this person is under 18. The "
                        "record is flagged for erasure."
                    ),
                )
            else:
                messages.success(request, _("The person's record was saved."))
            return redirect(updated)
    return _private(
        render(request, "subjects/subject_form.html", {"form": form, "subject": subject})
    )


def _legal_hold(
    request: HttpRequest,
    holder: DataSubject | Organisation,
    *,
    set_hold: Any,
    lift_hold: Any,
    keyword: str,
) -> HttpResponse:
    hold_form = LegalHoldForm(request.POST if "set" in request.POST else None)
    confirm_form = ConfirmForm(request.POST if "lift" in request.POST else None)
    if request.method == "POST":
        try:
            if "set" in request.POST and hold_form.is_valid():
                set_hold(
                    actor=request.user,
                    reason=hold_form.cleaned_data["legal_hold_reason"],
                    review_on=hold_form.cleaned_data["legal_hold_review_on"],
                    **{keyword: holder},
                )
                messages.success(request, _("The legal hold is set: nothing is purged."))
                return redirect(request.path)
            if "lift" in request.POST and confirm_form.is_valid():
                lift_hold(actor=request.user, **{keyword: holder})
                messages.success(request, _("The legal hold is lifted."))
                return redirect(request.path)
        except ValidationError as exc:
            if "set" in request.POST:
                hold_form.add_service_errors(exc)
            else:
                confirm_form.add_error(None, exc.messages)
    return render(
        request,
        "subjects/legal_hold.html",
        {"holder": holder, "hold_form": hold_form, "confirm_form": confirm_form},
    )


@requires("subjects.edit")
@require_http_methods(["GET", "POST"])
def subject_legal_hold(request: HttpRequest, pk: int) -> HttpResponse:
    subject = get_object_or_404(DataSubject, pk=pk)
    return _legal_hold(
        request,
        subject,
        set_hold=services.set_subject_legal_hold,
        lift_hold=services.lift_subject_legal_hold,
        keyword="subject",
    )


# --- organisations ---------------------------------------------------------------------------


@requires("subjects.list")
def organisation_list(request: HttpRequest) -> HttpResponse:
    form = OrganisationFilterForm(request.GET or None)
    filters = form.filters() if request.GET else {}
    page = _listed_page(
        request, selectors.organisations_for_list(**filters), filters,
        action="organisations.listed", model=Organisation,
    )  # fmt: skip
    return _private(
        render(
            request,
            "subjects/organisation_list.html",
            {
                "form": form,
                "page": page,
                "searched": any(filters.values()),
                "can_edit": has_permission(request.user, "subjects.edit"),
            },
        )
    )


@requires("subjects.list")
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = get_object_or_404(
        Organisation.objects.select_related("legal_hold_set_by"), pk=pk
    )
    people = Paginator(selectors.organisation_people(organisation), selectors.LIST_PAGE_SIZE)
    page = people.get_page(request.GET.get("page"))
    full = has_permission(request.user, "subjects.detail.all")
    record_event(
        action="organisation.viewed",
        actor=request.user,
        target=organisation,
        details={"shown": len(page.object_list)},
    )
    return _private(
        render(
            request,
            "subjects/organisation_detail.html",
            {
                "organisation": organisation,
                "page": page,
                "full": full,
                "trials": organisation.trials.order_by("-started_on") if full else None,
                "can_edit": has_permission(request.user, "subjects.edit"),
            },
        )
    )


@requires("subjects.edit")
@require_http_methods(["GET", "POST"])
def organisation_create(request: HttpRequest) -> HttpResponse:
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.create_organisation(actor=request.user, **form.service_fields())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The organisation was created."))
            return redirect("subjects:organisation", pk=organisation.pk)
    return render(request, "subjects/organisation_form.html", {"form": form})


@requires("subjects.edit")
@require_http_methods(["GET", "POST"])
def organisation_status(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = get_object_or_404(Organisation, pk=pk)
    form = OrganisationStatusForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_organisation_status(
                organisation=organisation,
                status=form.cleaned_data["status"],
                on=form.cleaned_data["on"],
                actor=request.user,
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The organisation's status was changed."))
            return redirect("subjects:organisation", pk=organisation.pk)
    return render(
        request, "subjects/organisation_status.html", {"organisation": organisation, "form": form}
    )


@requires("subjects.edit")
@require_http_methods(["GET", "POST"])
def organisation_legal_hold(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = get_object_or_404(Organisation, pk=pk)
    return _legal_hold(
        request,
        organisation,
        set_hold=services.set_organisation_legal_hold,
        lift_hold=services.lift_organisation_legal_hold,
        keyword="organisation",
    )
