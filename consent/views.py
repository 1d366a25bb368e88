"""Staff pages of the consent app. Plumbing only: validate, fetch, call one service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from consent import exports, selectors, services
from consent.forms import (
    AudienceForm,
    DecisionForm,
    FindPersonForm,
    GrantForm,
    LedgerFilterForm,
    LogForm,
    PolicyVersionForm,
    SuppressForm,
    SuppressionSettingsForm,
)
from consent.models import (
    Channel,
    ConsentEvidence,
    ConsentSettings,
    NoticeStatus,
    ObjectionReview,
    PolicyVersion,
    ReviewStatus,
    SuppressionEntry,
)
from consent.sections import EVIDENCE_DOWNLOAD
from core.audit import record_event, record_events_bulk
from core.permissions import has_permission, requires
from core.timeutil import legal_today
from processing.selectors import purposes_to_withdraw_or_object
from subjects.models import DataSubject

PAGE_SIZE = 25


def _add_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


def _subject_or_404(pk: int) -> DataSubject:
    subject = get_object_or_404(DataSubject, pk=pk)
    return subject


def _viewed(request: HttpRequest, subject: DataSubject, page: str) -> None:
    # DOMAIN.md F: every look at a person's data is logged.
    record_event(
        action="consent.subject_viewed", actor=request.user, target=subject, details={"page": page}
    )


def _states(subject: DataSubject) -> list[selectors.ConsentState]:
    return selectors.consent_states(subject, purposes_to_withdraw_or_object(subject))


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
    subject = _subject_or_404(pk)
    if subject.anonymised_at is not None:
        messages.error(request, _("This person has been anonymised; nothing can be recorded."))
        return redirect("consent:find")
    purposes = purposes_to_withdraw_or_object(subject)
    form = LogForm(request.POST or None, purposes=purposes)
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
                )
            except ValidationError as error:
                _add_errors(form, error)
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
                    "channel_label": dict(Channel.choices)[form.cleaned_data["channel"]],
                },
            )
    if request.method == "GET":
        _viewed(request, subject, "consent.log")
    return render(
        request,
        "consent/log_form.html",
        {"subject": subject, "form": form, "states": _states(subject)},
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
    subject = _subject_or_404(pk)
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
            _add_errors(form, error)
        else:
            messages.success(request, _("Consent recorded."))
            return redirect(_timeline_url(request, subject))
    return render(
        request,
        "consent/grant_form.html",
        {"subject": subject, "form": form, "states": _states(subject)},
    )


@requires("subjects.detail")
@require_GET
def subject_consent(request: HttpRequest, pk: int) -> HttpResponse:
    from consent.sections import consent_timeline_section

    subject = _subject_or_404(pk)
    _viewed(request, subject, "consent.subject")
    return render(
        request,
        "consent/subject.html",
        {"subject": subject, "section": consent_timeline_section(request, subject)},
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


# --- ledger and exports ---------------------------------------------------------------------


def _filtered_ledger(form: LedgerFilterForm) -> Any:
    data = form.cleaned_data if form.is_valid() else {}
    return selectors.ledger_events(
        purpose=data.get("purpose"),
        kind=data.get("kind", ""),
        channel=data.get("channel", ""),
        occurred_from=data.get("date_from"),
        occurred_to=data.get("date_to"),
    )


@requires("consent.ledger")
@require_GET
def ledger(request: HttpRequest) -> HttpResponse:
    form = LedgerFilterForm(request.GET or None)
    page = Paginator(_filtered_ledger(form), 50).get_page(request.GET.get("page"))
    ids = sorted({event.subject_id for event in page.object_list})
    if ids:
        record_events_bulk(
            action="subject.listed",
            actor=request.user,
            target_type="subjects.datasubject",
            target_ids=ids,
            details={"page": "consent.ledger"},
        )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "consent/ledger.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_download_evidence": has_permission(request.user, EVIDENCE_DOWNLOAD),
            # The Auditor reads the ledger but no personal data: people appear by id only.
            "can_see_people": has_permission(request.user, "subjects.detail"),
        },
    )


@requires("consent.ledger")
@require_GET
def ledger_csv(request: HttpRequest) -> Any:
    form = LedgerFilterForm(request.GET or None)
    events = _filtered_ledger(form)
    record_event(
        action="consent.ledger_exported",
        actor=request.user,
        target_type="consent.consentevent",
        details={"rows": events.count(), "filters": request.GET.urlencode()},
    )
    name = f"consent-ledger-{legal_today().isoformat()}.csv"
    return exports.csv_response(name, exports.LEDGER_HEADER, exports.ledger_rows(events))


@requires("consent.audience")
@require_GET
def audience(request: HttpRequest) -> Any:
    form = AudienceForm(request.GET or None)
    if not form.is_valid():
        counts = [
            (p, DataSubject.objects.marketable(purpose=p).count())
            for p in form.fields["purpose"].queryset  # type: ignore[attr-defined]
        ]
        return render(request, "consent/audience.html", {"form": form, "counts": counts})
    purpose = form.cleaned_data["purpose"]
    people = DataSubject.objects.marketable(purpose=purpose).order_by("pk")
    ids = list(people.values_list("pk", flat=True))
    record_event(
        action="consent.audience_exported",
        actor=request.user,
        target=purpose,
        details={"rows": len(ids)},
    )
    record_events_bulk(
        action="subject.exported",
        actor=request.user,
        target_type="subjects.datasubject",
        target_ids=ids,
        details={"export": "consent.audience", "purpose": purpose.code},
    )
    name = f"audience-{purpose.code}-{legal_today().isoformat()}.csv"
    return exports.csv_response(
        name, exports.AUDIENCE_HEADER, exports.audience_rows(people, purpose)
    )


# --- notices and policy versions ------------------------------------------------------------


@requires("consent.notices")
@require_GET
def notices(request: HttpRequest) -> HttpResponse:
    overdue = services.information_notices_overdue()
    page = Paginator(overdue.select_related("organisation"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "consent/notices.html",
        {
            "page": page,
            "due_count": services.information_notice_due().count(),
            "versions": PolicyVersion.objects.all()[:20],
            "can_publish": has_permission(request.user, "consent.policy.manage"),
        },
    )


@requires("consent.policy.manage")
@require_http_methods(["GET", "POST"])
def policy_new(request: HttpRequest) -> HttpResponse:
    from consent.services.notices import notice_period_days, short_notice

    form = PolicyVersionForm(request.POST or None)
    needs_confirmation = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            policy = services.publish_policy_version(
                actor=request.user,
                version=data["version"],
                summary=data["summary"],
                full_text=data["full_text"],
                effective_on=data["effective_on"],
                new_consent_purposes=data["new_consent_purposes"],
                short_notice_confirmed=data["short_notice_confirmed"],
            )
        except ValidationError as error:
            needs_confirmation = short_notice(data["effective_on"], today=legal_today())
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("Version %(version)s published; the notices are being sent.")
                % {"version": policy.version},
            )
            return redirect("consent:policy", pk=policy.pk)
    return render(
        request,
        "consent/policy_form.html",
        {
            "form": form,
            "needs_confirmation": needs_confirmation,
            "notice_days": notice_period_days(),
        },
    )


@requires("consent.notices")
@require_GET
def policy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    policy = get_object_or_404(PolicyVersion, pk=pk)
    sending = policy.notice_status in (NoticeStatus.QUEUED, NoticeStatus.SENDING)
    return render(
        request,
        "consent/policy_detail.html",
        {
            "policy": policy,
            "sending": sending,
            "new_purposes": list(policy.new_consent_purposes.all()),
        },
    )


# --- Art. 21(1) objections and suppression --------------------------------------------------


@requires("consent.objection.decide")
@require_GET
def objections(request: HttpRequest) -> HttpResponse:
    reviews = ObjectionReview.objects.select_related("subject", "purpose", "event")
    status = request.GET.get("status", ReviewStatus.OPEN)
    if status in ReviewStatus.values:
        reviews = reviews.filter(status=status)
    page = Paginator(reviews, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "consent/objections.html",
        {"page": page, "status": status, "statuses": ReviewStatus.choices},
    )


@requires("consent.objection.decide")
@require_http_methods(["GET", "POST"])
def objection_decide(request: HttpRequest, pk: int) -> HttpResponse:
    review = get_object_or_404(
        ObjectionReview.objects.select_related("subject", "purpose", "event"), pk=pk
    )
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.decide_objection(
                review=review,
                actor=request.user,
                upheld=form.cleaned_data["decision"] == ReviewStatus.UPHELD,
                reasoning=form.cleaned_data["reasoning"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Decision recorded."))
            return redirect("consent:objections")
    if request.method == "GET":
        _viewed(request, review.subject, "consent.objection")
    return render(request, "consent/objection_decide.html", {"review": review, "form": form})


@requires("consent.suppression")
@require_http_methods(["GET", "POST"])
def suppression(request: HttpRequest) -> HttpResponse:
    current = ConsentSettings.load()
    form = SuppressionSettingsForm(
        request.POST or None, initial={"on_suppressed_import": current.on_suppressed_import}
    )
    if request.method == "POST" and form.is_valid():
        services.set_suppressed_import_policy(
            actor=request.user, on_suppressed_import=form.cleaned_data["on_suppressed_import"]
        )
        messages.success(request, _("Saved."))
        return redirect("consent:suppression")
    page = Paginator(SuppressionEntry.objects.select_related("actor"), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "consent/suppression.html",
        {
            "form": form,
            "page": page,
            "flagged": selectors.suppressed_subjects().select_related("organisation")[:100],
        },
    )
