"""Staff log a withdrawal, objection or grant, and suppress an address: the consent pages
about one person. Plumbing only: validate, fetch, call one service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from consent import selectors, services
from consent.forms import (
    FindPersonForm,
    GrantForm,
    LogForm,
    SuppressForm,
)
from consent.models import (
    Channel,
    ConsentEvidence,
)
from consent.sections import EVIDENCE_DOWNLOAD
from consent.views.common import PAGE_SIZE, add_errors, record_viewed, states_of, subject_or_404
from core.audit import record_event, record_events_bulk
from core.permissions import has_permission, requires
from core.timeutil import legal_today
from processing.selectors import purposes_to_withdraw_or_object
from subjects.models import DataSubject

# --- log a withdrawal or objection ---------------------------------------------------------


@requires("consent.log")
@require_GET
def find_person(request: HttpRequest) -> HttpResponse:
    form = FindPersonForm(request.GET or None)
    page = None
    query = ""
    if form.is_valid():
        query = form.cleaned_data["q"].strip()
        people = DataSubject.objects.active().search(query).select_related("organisation")
        if "@" in query:
            found = list(people[:2])
            if len(found) == 1:
                return redirect("consent:log", pk=found[0].pk)
        page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
        if page.object_list:
            record_events_bulk(
                action="subject.listed",
                actor=request.user,
                target_type="subjects.datasubject",
                target_ids=[p.pk for p in page.object_list],
                details={"page": "consent.find_person"},
            )
    suppress_form = None
    if page is not None and not page.object_list and "@" in query:
        suppress_form = SuppressForm(
            initial={"email": query, "channel": "email", "suppressed_on": legal_today()}
        )
    return render(
        request,
        "consent/find_person.html",
        {"form": form, "page": page, "query": query, "suppress_form": suppress_form},
    )


@requires("consent.log")
@require_http_methods(["GET", "POST"])
def log_for_subject(request: HttpRequest, pk: int) -> HttpResponse:
    subject = subject_or_404(pk)
    if subject.anonymised_at is not None:
        messages.error(request, _("This person has been anonymised; nothing can be recorded."))
        return redirect("consent:find")
    purposes = purposes_to_withdraw_or_object(subject)
    form = LogForm(request.POST or None, request.FILES or None, purposes=purposes)
    step = request.POST.get("step", "")
    if request.method == "POST" and step != "edit" and form.is_valid():
        chosen = form.cleaned_data["chosen"]
        if step == "confirm":
            try:
                outcome = services.log_withdrawal_or_objection(
                    subject=subject,
                    purposes=chosen,
                    channel=form.cleaned_data["channel"],
                    actor=request.user,
                    occurred_at=form.cleaned_data["occurred_at"],
                    note=form.cleaned_data["note"],
                    evidence_file=form.cleaned_data.get("evidence_file"),
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                if outcome.events:
                    messages.success(
                        request,
                        _("Recorded: %(what)s.")
                        % {
                            "what": ", ".join(
                                f"{e.get_kind_display().lower()} — {e.purpose.name}"
                                for e in outcome.events
                            )
                        },
                    )
                for purpose in outcome.unchanged:
                    messages.info(
                        request,
                        _("Nothing to record for %(purpose)s: already withdrawn, objected to or "
                          "never given.") % {"purpose": purpose.name},
                    )  # fmt: skip
                return redirect(_timeline_url(request, subject))
        else:
            now = timezone.now()
            preview = [
                {
                    "purpose": p,
                    "state": selectors.consent_state(subject, p, now),
                    "action": _("withdraw consent") if p.is_consent_based else _("object"),
                    "erases": p.is_direct_marketing
                    and p.is_legitimate_interest
                    and subject.is_prospect,
                    "review": p.is_legitimate_interest and not p.is_direct_marketing,
                }
                for p in chosen
            ]
            return render(
                request,
                "consent/log_confirm.html",
                {
                    "subject": subject,
                    "form": form,
                    "preview": preview,
                    "erases": any(i["erases"] and i["state"].permitted for i in preview),
                    "channel_label": dict(Channel.choices)[form.cleaned_data["channel"]],
                },
            )
    if request.method == "GET":
        record_viewed(request, subject, "consent.log")
    return render(
        request,
        "consent/log_form.html",
        {"subject": subject, "form": form, "states": states_of(subject)},
    )


def _timeline_url(request: HttpRequest, subject: DataSubject) -> str:
    try:
        return reverse("subjects:detail", args=[subject.pk]) + "#consent"
    except NoReverseMatch:  # the subject page is another app's; fall back to ours
        return reverse("consent:subject", args=[subject.pk])


@requires("consent.log")
@require_http_methods(["POST"])
def suppress_address(request: HttpRequest) -> HttpResponse:
    """An unknown address can still be suppressed so the wish holds if the person appears."""
    form = SuppressForm(request.POST)
    if form.is_valid() and request.POST.get("step") == "confirm":
        entry = services.suppress_email(
            email=form.cleaned_data["email"],
            channel=form.cleaned_data["channel"],
            actor=request.user,
            suppressed_on=form.cleaned_data["suppressed_on"],
        )
        if entry is None:
            messages.info(request, _("This address was already on the suppression list."))
        else:
            messages.success(
                request,
                _("The address is suppressed: it will not be imported or sent marketing."),
            )
        return redirect("consent:find")
    return render(
        request,
        "consent/suppress_confirm.html",
        {"form": form, "confirming": form.is_valid()},
    )


@requires("consent.log")
@require_http_methods(["GET", "POST"])
def grant_for_subject(request: HttpRequest, pk: int) -> HttpResponse:
    subject = subject_or_404(pk)
    form = GrantForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.grant_consent(
                subject=subject,
                purpose=form.cleaned_data["purpose"],
                channel=form.cleaned_data["channel"],
                actor=request.user,
                wording=form.cleaned_data["wording"],
                evidence_text=form.cleaned_data["evidence_text"],
                evidence_file=form.cleaned_data["evidence_file"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Consent recorded."))
            return redirect(_timeline_url(request, subject))
    return render(
        request,
        "consent/grant_form.html",
        {"subject": subject, "form": form, "states": states_of(subject)},
    )


@requires("subjects.detail")
@require_GET
def subject_consent(request: HttpRequest, pk: int) -> HttpResponse:
    from consent.sections import consent_timeline_section

    subject = subject_or_404(pk)
    record_viewed(request, subject, "consent.subject")
    return render(
        request,
        "consent/subject.html",
        {
            "subject": subject,
            "section": consent_timeline_section(request, subject),
            "can_export_records": has_permission(request.user, "consent.ledger"),
        },
    )


@requires(EVIDENCE_DOWNLOAD)
@require_GET
def evidence_file(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = get_object_or_404(ConsentEvidence.objects.select_related("event"), pk=pk)
    if not evidence.file:
        raise Http404
    record_event(
        action="consent.evidence_viewed",
        actor=request.user,
        target=evidence,
        details={"event": evidence.event_id},
    )
    response = HttpResponse(
        bytes(evidence.file), content_type=evidence.file_content_type or "application/octet-stream"
    )
    response["Content-Disposition"] = f'attachment; filename="evidence-{evidence.event_id}"'
    return response
