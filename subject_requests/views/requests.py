"""Staff pages: the queue, entering a request, a request's page and its decisions, the
register. Views validate, call one service and render; the rules live in the services and
their guards. The decisions table is `decisions.py`, the register's CSV `exports.py`, and the
notes, messages and documents of a request `views/timeline.py`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.audit import record_event, record_grouped_read
from core.pagination import FromEitherEndPaginator
from core.permissions import has_permission, requires
from core.timeutil import legal_date, legal_zone
from processing.selectors import systems_out_of_reach
from retention.periods import Period
from subject_requests import exports, guards, services
from subject_requests.choices import ACTIONS_FOR_TYPE, Channel, RequestType, Status
from subject_requests.deadlines import (
    EXTENDED_MONTHS,
    answer_periods,
    legal_deadline,
    period_end,
)
from subject_requests.decisions import DECISIONS, buttons_for
from subject_requests.forms import (
    AssignForm,
    BulkAssignForm,
    DocumentForm,
    MessageForm,
    NoteForm,
    QueueFilterForm,
    ReceivedAtForm,
    RegisterForm,
    StaffEntryForm,
)
from subject_requests.models import SubjectRequest
from subject_requests.selectors import (
    answer_card,
    pauses_of,
    register_rows,
    request_actions,
    request_for_page,
    requests_for_queue,
    stalled_tasks,
    timeline_page,
)
from subject_requests.services.intake import DUPLICATE_WINDOW_DAYS
from subject_requests.services.timeline import assignable_users
from subject_requests.views.answers import LETTER_PREVIEWS

QUEUE_PAGE_SIZE = 50


@requires("requests.queue")
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    assignees = list(assignable_users())
    filter_form = QueueFilterForm(request.GET or None, assignees=assignees)
    if filter_form.is_bound and not filter_form.is_valid():
        refused = ", ".join(
            str(filter_form.fields[name].label)
            for name in filter_form.errors
            if name in filter_form.fields
        )
        messages.warning(
            request,
            _("The filter was not applied: %(fields)s has a value the queue does not offer.")
            % {"fields": refused},
        )
    requests = requests_for_queue(reviewer=request.user, now=now, filters=filter_form.filters())
    paginator = FromEitherEndPaginator(requests, QUEUE_PAGE_SIZE)
    number = request.GET.get("page")
    page = paginator.get_page(paginator.num_pages if number == "last" else number)
    # Labels translated once per page: `get_FOO_display` translates every choice on each call,
    # which was a third of the page's time at 50 rows.
    types, statuses, channels = (
        {value: str(label) for value, label in choices.choices}
        for choices in (RequestType, Status, Channel)
    )
    rows = [
        {
            "req": r,
            "type": types.get(r.type, r.type),
            "status": statuses.get(r.status, r.status),
            "channel": channels.get(r.channel, r.channel),
            "deadline": r.deadline(now),
            "days_to_target": r.days_to_target(now),
            "deadline_class": r.deadline_class(now),
            "overdue": r.is_overdue(now),
            "days_overdue": r.days_overdue(now),
        }
        for r in page.object_list
    ]
    if rows:
        # Every look at a person's data is logged (here: the names listed).
        record_grouped_read(
            action="request.listed",
            actor=request.user,
            target_type=SubjectRequest._meta.label_lower,
            target_ids=[row["req"].pk for row in rows],
            details={"page": page.number},
        )
    return render(
        request,
        "subject_requests/queue.html",
        {
            "page": page,
            "rows": rows,
            "filter_form": filter_form,
            "assignees": assignees,
            "can_decide": has_permission(request.user, "requests.decide"),
            "can_enter": has_permission(request.user, "requests.enter"),
            "can_see_tasks": has_permission(request.user, "requests.tasks"),
            "filtered": bool(request.GET.dict().keys() - {"page"}),
        },
    )


@requires("requests.decide")
@require_POST
def bulk_assign(request: HttpRequest) -> HttpResponse:
    form = BulkAssignForm(request.POST)
    back = request.POST.get("next") or ""
    if not back.startswith("/requests/"):
        back = "/requests/"
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    assignee = form.cleaned_data["assignee"]
    try:
        count = services.assign_requests(
            request_ids=form.cleaned_data["requests"], assignee=assignee, actor=request.user
        )
    except services.RequestError as exc:
        messages.error(request, str(exc))
    else:
        who = assignee.get_username() if assignee else _("nobody")
        messages.success(
            request,
            _("%(count)s open request(s) assigned to %(who)s.") % {"count": count, "who": who},
        )
    return redirect(back)


@requires("requests.enter")
def enter(request: HttpRequest) -> HttpResponse:
    form = StaffEntryForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data.get("agent_proof")
        proof = (
            services.AgentProof(
                content=upload.read(),
                name=upload.name or "authorisation",
                content_type=upload.content_type or "application/octet-stream",
            )
            if upload
            else None
        )
        try:
            created = services.enter_request(
                type=data["type"],
                channel=data["channel"],
                name=data["name"],
                email=data["email"] or "",
                description=data["description"],
                received_at=data["received_at"],
                language=data["language"],
                via_agent=data["via_agent"],
                agent_name=data["agent_name"],
                agent_proof=proof,
                send_verification_link=data["send_verification_link"],
                receiver=form.receiver(),
                actor=request.user,
            )
        except services.RequestError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Request %(reference)s entered; due %(due)s.")
                % {"reference": created.reference, "due": f"{legal_date(created.due_at):%d.%m.%Y}"},
            )
            return redirect(created)
    return render(
        request,
        "subject_requests/enter.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


def _subject_links(subject_request: SubjectRequest) -> list[dict[str, Any]]:
    links = []
    for subject in subject_request.subjects.all():
        try:
            url = subject.get_absolute_url()
        except NoReverseMatch:  # the subjects pages are not wired in this build
            url = ""
        links.append({"subject": subject, "url": url})
    return links


@requires("requests.queue")
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        subject_request = request_for_page(pk)
    except SubjectRequest.DoesNotExist:
        raise Http404("No such request.") from None
    now = timezone.now()
    record_event(
        action="request.viewed",
        actor=request.user,
        target=subject_request,
        details={"reference": subject_request.reference},
    )
    actions = request_actions(subject_request, user=request.user, now=now)
    received = subject_request.received_at
    context = {
        "req": subject_request,
        "now": now,
        "received_local": received.astimezone(legal_zone()),
        "first_period_end": period_end(received),
        "first_due_on": legal_deadline(received),
        "extended_period_end": period_end(received, EXTENDED_MONTHS),
        "extended_due_on": legal_deadline(received, EXTENDED_MONTHS),
        **answer_periods(),
        "duplicate_window": Period(days=DUPLICATE_WINDOW_DAYS),
        "deadline": subject_request.deadline(now),
        "days_to_target": subject_request.days_to_target(now),
        "deadline_class": subject_request.deadline_class(now),
        "overdue": subject_request.is_overdue(now),
        "days_overdue": subject_request.days_overdue(now),
        "subjects": _subject_links(subject_request),
        "pauses": pauses_of(subject_request),
        "timeline": timeline_page(subject_request, request.GET.get("timeline_page")),
        "buttons": buttons_for(actions),
        "can_edit_received": "change-received" in actions,
        "note_form": NoteForm(),
        "message_form": MessageForm(),
        "document_form": DocumentForm(),
        "assign_form": AssignForm(initial={"assignee": subject_request.assignee_id})
        if "assign" in actions
        else None,
        "fulfilment": answer_card(subject_request, actions=actions, now=now),
        "stalled_tasks": stalled_tasks(subject_request, now=now),
        "can_decide": has_permission(request.user, "requests.decide"),
        "can_change_match": has_permission(request.user, "requests.decide")
        and guards.can_change_match(subject_request, now) is None,
        "waiting": guards.people_not_acted_on(subject_request),
        # GDPR Art. 17(2), 19: the systems holding these people's data that the request
        # would not reach, named before it is answered.
        "out_of_reach": systems_out_of_reach(
            kinds={person.kind for person in subject_request.subjects.all()}
        )
        if subject_request.is_open and subject_request.type in ACTIONS_FOR_TYPE
        else [],
        "can_see_systems": has_permission(request.user, "processing.systems"),
        "waiting_text": guards.action_missing(subject_request),
        "can_refuse": guards.can_refuse_action(subject_request, now) is None,
        # GDPR Art. 20(2): the company the package is to go to, and the DPO's decision.
        "can_decide_transmission": "transmission" in actions,
        "transmission_refusal": actions.refused.get("transmission", ""),
        "Status": Status,
    }
    return render(request, "subject_requests/detail.html", context)


@requires("requests.decide")
def decide(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """GET shows the confirmation page of an action the request allows (else says why not);
    POST decides. Refusals come from the service."""
    decision = DECISIONS.get(action)
    if decision is None:
        raise Http404("No such action.")
    subject_request = get_object_or_404(SubjectRequest.objects.defer("agent_proof"), pk=pk)
    if request.method != "POST":
        actions = request_actions(subject_request, user=request.user, now=timezone.now())
        if action in actions.refused:
            messages.error(request, actions.refused[action])
            return redirect(subject_request)
    form = decision.form(request.POST or None) if decision.form else None
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            decision.run(subject_request, form.cleaned_data if form else {}, request.user)
        except services.RequestError as exc:
            if form is None:
                messages.error(request, str(exc))
                return redirect(subject_request)
            form.add_error(None, str(exc))
        else:
            messages.success(request, str(decision.done))
            return redirect(subject_request)
    if form is None and request.method != "POST":
        return redirect(subject_request)
    return render(
        request,
        "subject_requests/decide.html",
        {
            "req": subject_request,
            "decision": decision,
            "form": form,
            "action": action,
            "resulting_due_on": (
                decision.resulting_due_on(subject_request) if decision.resulting_due_on else None
            ),
            "letter_preview": action in LETTER_PREVIEWS,
            "language_name": dict(settings.LANGUAGES).get(subject_request.language, "English"),
        },
        status=400 if request.method == "POST" else 200,
    )


@requires("requests.enter")
def change_received(request: HttpRequest, pk: int) -> HttpResponse:
    subject_request = get_object_or_404(SubjectRequest.objects.defer("agent_proof"), pk=pk)
    form = ReceivedAtForm(
        request.POST or None,
        initial={"received_at": subject_request.received_at.astimezone(legal_zone())},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.change_received_at(
                request=subject_request,
                received_at=form.cleaned_data["received_at"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except services.RequestError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The receipt time and the deadline are updated."))
            return redirect(subject_request)
    return render(
        request,
        "subject_requests/change_received.html",
        {"req": subject_request, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@requires("requests.register")
@require_GET
def register(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    form = RegisterForm(request.GET or None)
    if request.GET.get("format") != "csv" or not form.is_valid():
        return render(request, "subject_requests/register.html", {"form": form})
    start: dt.date | None = form.cleaned_data["received_from"]
    end: dt.date | None = form.cleaned_data["received_to"]
    record_event(
        action="request.register_exported",
        actor=request.user,
        target_type=SubjectRequest._meta.label_lower,
        details={
            "received_from": start.isoformat() if start else None,
            "received_to": end.isoformat() if end else None,
        },
    )
    return exports.register_csv(
        register_rows(received_from=start, received_to=end),
        filename=f"requests-register-{timezone.localdate().isoformat()}.csv",
    )
