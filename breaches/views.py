"""Pages of the breach register (GDPR Art. 33, 34): plumbing around `breaches.services`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from breaches import letters, services
from breaches.forms import (
    AffectedSelectionForm,
    AuthorityDecisionForm,
    BreachForm,
    FollowUpForm,
    NotificationForm,
    PeopleDecisionForm,
)
from breaches.models import AffectedPerson, Breach
from breaches.selectors import breach_rows, people_for_selection
from core.audit import record_event, record_grouped_read
from core.permissions import has_permission, requires

AFFECTED_PAGE_SIZE = 50


@requires("breaches.register")
def breach_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "breaches/list.html",
        {
            "rows": breach_rows(now=timezone.now()),
            "can_manage": has_permission(request.user, "breaches.manage"),
        },
    )


@requires("breaches.manage")
def breach_create(request: HttpRequest) -> HttpResponse:
    form = BreachForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            breach = services.record_breach(
                values=form.values(), categories=form.cleaned_data["categories"], actor=request.user
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The breach is recorded; its 72-hour clock is running."))
            return redirect(breach)
    return render(request, "breaches/form.html", {"form": form, "breach": None})


@requires("breaches.manage")
def breach_edit(request: HttpRequest, pk: int) -> HttpResponse:
    breach = get_object_or_404(Breach, pk=pk)
    form = BreachForm(request.POST or None, breach=breach)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_breach(
                breach=breach,
                values=form.values(),
                categories=form.cleaned_data["categories"],
                actor=request.user,
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The breach is saved."))
            return redirect(breach)
    return render(request, "breaches/form.html", {"form": form, "breach": breach})


def _detail_context(request: HttpRequest, breach: Breach, **forms: Any) -> dict[str, Any]:
    can_manage = has_permission(request.user, "breaches.manage")
    affected = AffectedPerson.objects.filter(breach=breach)
    context: dict[str, Any] = {
        "breach": breach,
        "clock": breach.clock(timezone.now()) if breach.clock_running else None,
        "follow_ups": breach.follow_ups.all(),
        "affected_count": affected.count(),
        "informed_count": affected.filter(informed_at__isnull=False).count(),
        "can_manage": can_manage,
        "languages": letters.LETTER_LANGUAGES,
        "authority_form": forms.get("authority_form") or AuthorityDecisionForm(),
        "notification_form": forms.get("notification_form") or NotificationForm(),
        "follow_up_form": forms.get("follow_up_form") or FollowUpForm(),
        "people_form": forms.get("people_form") or PeopleDecisionForm(),
        "affected_form": forms.get("affected_form") or AffectedSelectionForm(),
    }
    if can_manage:
        # Names are personal data: the DPO sees them, each page of them one grouped look.
        page = Paginator(
            affected.select_related("subject__organisation").order_by("id"), AFFECTED_PAGE_SIZE
        ).get_page(request.GET.get("page"))
        if page.object_list:
            record_grouped_read(
                action="subjects.listed",
                actor=request.user,
                target_type="subjects.datasubject",
                target_ids=[row.subject_id for row in page.object_list],
                details={"list": "breach affected", "page": page.number},
            )
        context["affected_page"] = page
    return context


@requires("breaches.register")
def breach_detail(request: HttpRequest, pk: int) -> HttpResponse:
    breach = get_object_or_404(Breach.objects.prefetch_related("categories"), pk=pk)
    return render(request, "breaches/detail.html", _detail_context(request, breach))


def _act(request: HttpRequest, pk: int, form_class: Any, name: str, act: Any) -> HttpResponse:
    """Validate one of the detail page's forms and call its service; errors re-display the
    page with the form's messages."""
    breach = get_object_or_404(Breach.objects.prefetch_related("categories"), pk=pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            message = act(breach, form)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, message)
            return redirect(breach)
    return render(
        request,
        "breaches/detail.html",
        _detail_context(request, breach, **{name: form}),
        status=400,
    )


@requires("breaches.manage")
@require_POST
def breach_authority(request: HttpRequest, pk: int) -> HttpResponse:
    def act(breach: Breach, form: AuthorityDecisionForm) -> str:
        services.decide_authority(
            breach=breach,
            decision=form.cleaned_data["decision"],
            reason=form.cleaned_data["reason"],
            actor=request.user,
        )
        return _("The decision is recorded.")

    return _act(request, pk, AuthorityDecisionForm, "authority_form", act)


@requires("breaches.manage")
@require_POST
def breach_notify(request: HttpRequest, pk: int) -> HttpResponse:
    def act(breach: Breach, form: NotificationForm) -> str:
        services.record_notification(breach=breach, actor=request.user, **form.cleaned_data)
        return _("The notification to the supervisory authority is recorded.")

    return _act(request, pk, NotificationForm, "notification_form", act)


@requires("breaches.manage")
@require_POST
def breach_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    def act(breach: Breach, form: FollowUpForm) -> str:
        services.add_follow_up(breach=breach, actor=request.user, **form.cleaned_data)
        return _("The follow-up is recorded.")

    return _act(request, pk, FollowUpForm, "follow_up_form", act)


@requires("breaches.manage")
@require_POST
def breach_people(request: HttpRequest, pk: int) -> HttpResponse:
    def act(breach: Breach, form: PeopleDecisionForm) -> str:
        services.decide_people(
            breach=breach,
            decision=form.cleaned_data["decision"],
            reason=form.cleaned_data["reason"],
            actor=request.user,
        )
        return _("The decision on informing the people is recorded.")

    return _act(request, pk, PeopleDecisionForm, "people_form", act)


@requires("breaches.manage")
@require_POST
def breach_affected(request: HttpRequest, pk: int) -> HttpResponse:
    def act(breach: Breach, form: AffectedSelectionForm) -> str:
        data = form.cleaned_data
        added = services.add_affected_people(
            breach=breach,
            people=people_for_selection(
                organisation=data.get("organisation"),
                system=data.get("system"),
                kind=data.get("kind", ""),
                country=data.get("country", ""),
            ),
            selection=form.selection(),
            actor=request.user,
        )
        return _("%(n)d people added to the affected.") % {"n": added}

    return _act(request, pk, AffectedSelectionForm, "affected_form", act)


@requires("breaches.manage")
@require_POST
def breach_send_letters(request: HttpRequest, pk: int) -> HttpResponse:
    breach = get_object_or_404(Breach, pk=pk)
    if breach.people_decision != "inform":
        messages.error(request, _("Decide first to inform the people (Art. 34)."))
        return redirect(breach)
    from breaches.tasks import send_breach_letters

    transaction.on_commit(lambda: send_breach_letters.delay(breach.pk))
    messages.success(request, _("The letters are being sent, each in the person's language."))
    return redirect(breach)


@requires("breaches.manage")
@require_POST
def breach_close(request: HttpRequest, pk: int) -> HttpResponse:
    breach = get_object_or_404(Breach, pk=pk)
    try:
        services.close_breach(breach=breach, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The breach is closed; it stays in the register."))
    return redirect(breach)


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@requires("breaches.register")
def breach_draft_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    breach = get_object_or_404(Breach.objects.prefetch_related("categories"), pk=pk)
    record_event(action="breach.draft_printed", actor=request.user, target=breach)
    pdf = letters.notification_draft_pdf(breach)
    return _pdf(pdf.content, f"{breach.reference}-notification-draft.pdf")


@requires("breaches.register")
def breach_letter_pdf(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    if language not in letters.LETTER_LANGUAGES:
        raise Http404
    breach = get_object_or_404(Breach.objects.prefetch_related("categories"), pk=pk)
    pdf = letters.people_letter_pdf(breach, language=language)
    return _pdf(pdf.content, f"{breach.reference}-letter-{language}.pdf")
