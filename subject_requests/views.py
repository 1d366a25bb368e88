"""Staff pages: the queue, entering a request, a request's page and its decisions, the
register. Views validate, call one service and render; the rules live in the services."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.audit import record_event, record_events_bulk
from core.permissions import has_permission, requires
from core.timeutil import legal_date, legal_zone
from subject_requests import services
from subject_requests.choices import STAFF_CHANNELS
from subject_requests.deadlines import EXTENDED_MONTHS, legal_deadline, period_end
from subject_requests.forms import (
    AssignForm,
    BulkAssignForm,
    DocumentForm,
    MessageForm,
    NoteForm,
    OptionalReasonForm,
    PauseForm,
    QueueFilterForm,
    ReasonForm,
    ReceivedAtForm,
    RegisterForm,
    StaffEntryForm,
    VerifyForm,
)
from subject_requests.models import (
    Channel,
    RequestType,
    Status,
    SubjectRequest,
    TimelineEntry,
)
from subject_requests.selectors import (
    pauses_of,
    register_rows,
    request_for_page,
    requests_for_queue,
)
from subject_requests.services.workflow import assignable_users

QUEUE_PAGE_SIZE = 50


@requires("requests.queue")
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    assignees = list(assignable_users())
    filter_form = QueueFilterForm(request.GET or None, assignees=assignees)
    requests = requests_for_queue(reviewer=request.user, now=now, filters=filter_form.filters())
    paginator = Paginator(requests, QUEUE_PAGE_SIZE)
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
        # Section F: every look at a person's data is logged (here: the names listed).
        record_events_bulk(
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


# The fulfilment actions of the next issue, shown in their place so the DPO sees the path.
FULFILMENT_ACTIONS = [
    gettext_lazy("Build the access report"),
    gettext_lazy("Export portable data"),
    gettext_lazy("Correct data"),
    gettext_lazy("Erase or anonymise"),
    gettext_lazy("Restrict processing"),
    gettext_lazy("Notify recipients (Art. 19)"),
]


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
    can_decide = has_permission(request.user, "requests.decide")
    received = subject_request.received_at
    context = {
        "req": subject_request,
        "now": now,
        "received_local": received.astimezone(legal_zone()),
        "first_period_end": period_end(received),
        "first_due_on": legal_deadline(received),
        "extended_period_end": period_end(received, EXTENDED_MONTHS),
        "extended_due_on": legal_deadline(received, EXTENDED_MONTHS),
        "deadline": subject_request.deadline(now),
        "days_to_target": subject_request.days_to_target(now),
        "deadline_class": subject_request.deadline_class(now),
        "overdue": subject_request.is_overdue(now),
        "days_overdue": subject_request.days_overdue(now),
        "subjects": _subject_links(subject_request),
        "pauses": pauses_of(subject_request),
        "can_decide": can_decide,
        "can_edit_received": (
            has_permission(request.user, "requests.enter")
            and subject_request.channel in STAFF_CHANNELS
            and subject_request.is_open
        ),
        "note_form": NoteForm(),
        "message_form": MessageForm(),
        "document_form": DocumentForm(),
        "assign_form": AssignForm(initial={"assignee": subject_request.assignee_id})
        if can_decide and subject_request.is_open
        else None,
        "fulfilment_actions": FULFILMENT_ACTIONS,
        "Status": Status,
    }
    return render(request, "subject_requests/detail.html", context)


@dataclass(frozen=True)
class Decision:
    title: Any
    explanation: Any
    button: Any
    form: type[forms.Form] | None
    run: Callable[[SubjectRequest, dict[str, Any], Any], Any]
    done: Any
    danger: bool = False


DECISIONS: dict[str, Decision] = {
    "verify": Decision(
        title=gettext_lazy("Record an identity check"),
        explanation=gettext_lazy(
            "Ask only for what you need to confirm who the person is (GDPR Art. 12(6)), and "
            "record what you asked and what they showed."
        ),
        button=gettext_lazy("Mark as verified"),
        form=VerifyForm,
        run=lambda r, d, u: services.verify_manually(
            request=r,
            asked=d["asked"],
            shown=d["shown"],
            subject_email=d["subject_email"] or "",
            actor=u,
        ),
        done=gettext_lazy("The request is verified."),
    ),
    "pause": Decision(
        title=gettext_lazy("Ask the requester and pause the clock"),
        explanation=gettext_lazy(
            "The deadline stops while identity information or a clarification is outstanding "
            "and moves by exactly the days paused. Your question is e-mailed to the requester."
        ),
        button=gettext_lazy("Send and pause"),
        form=PauseForm,
        run=lambda r, d, u: services.pause_request(
            request=r, reason=d["reason"], note=d["note"], actor=u
        ),
        done=gettext_lazy("The clock is paused."),
    ),
    "extend": Decision(
        title=gettext_lazy("Extend the deadline"),
        explanation=gettext_lazy(
            "Once only, before the first deadline passes: the new deadline is three months "
            "from receipt (GDPR Art. 12(3)). The requester receives your reason."
        ),
        button=gettext_lazy("Extend and tell the requester"),
        form=ReasonForm,
        run=lambda r, d, u: services.extend_deadline(request=r, reason=d["reason"], actor=u),
        done=gettext_lazy("The deadline is extended and the requester told why."),
    ),
    "complete": Decision(
        title=gettext_lazy("Complete the request"),
        explanation=gettext_lazy(
            "The requester receives a closing letter with the outcome below and their right "
            "to complain to a supervisory authority or a court."
        ),
        button=gettext_lazy("Complete and send the letter"),
        form=ReasonForm,
        run=lambda r, d, u: services.complete_request(request=r, outcome=d["reason"], actor=u),
        done=gettext_lazy("The request is completed."),
    ),
    "reject": Decision(
        title=gettext_lazy("Reject the request"),
        explanation=gettext_lazy(
            "The requester receives a letter with your reason and their right to complain to "
            "a supervisory authority or a court (GDPR Art. 12(4)). This cannot be undone."
        ),
        button=gettext_lazy("Reject and send the letter"),
        form=ReasonForm,
        run=lambda r, d, u: services.reject_request(request=r, reason=d["reason"], actor=u),
        done=gettext_lazy("The request is rejected."),
        danger=True,
    ),
    "withdraw": Decision(
        title=gettext_lazy("Record a withdrawal"),
        explanation=gettext_lazy(
            "Record that the requester withdrew the request (by e-mail, letter or phone). "
            "They receive a confirmation. This cannot be undone."
        ),
        button=gettext_lazy("Record the withdrawal"),
        form=OptionalReasonForm,
        run=lambda r, d, u: services.withdraw_request(request=r, reason=d["reason"], actor=u),
        done=gettext_lazy("The withdrawal is recorded."),
        danger=True,
    ),
    "close": Decision(
        title=gettext_lazy("Close as unverified"),
        explanation=gettext_lazy(
            "Close the request because the requester's identity could not be confirmed. They "
            "receive a letter with your reason and their right to complain. This cannot be "
            "undone."
        ),
        button=gettext_lazy("Close and send the letter"),
        form=ReasonForm,
        run=lambda r, d, u: services.close_unverified(request=r, reason=d["reason"], actor=u),
        done=gettext_lazy("The request is closed."),
        danger=True,
    ),
    "start": Decision(
        title=gettext_lazy("Start work"),
        explanation="",
        button=gettext_lazy("Start work"),
        form=None,
        run=lambda r, d, u: services.start_work(request=r, actor=u),
        done=gettext_lazy("The request is in progress."),
    ),
    "resume": Decision(
        title=gettext_lazy("Restart the clock"),
        explanation="",
        button=gettext_lazy("Information received: restart the clock"),
        form=None,
        run=lambda r, d, u: services.resume_request(request=r, actor=u),
        done=gettext_lazy("The clock runs again."),
    ),
    "resend-link": Decision(
        title=gettext_lazy("Send a new verification link"),
        explanation="",
        button=gettext_lazy("Send a new verification link"),
        form=None,
        run=lambda r, d, u: services.resend_verification_link(request=r, actor=u),
        done=gettext_lazy("A new verification link is on its way."),
    ),
    "assign": Decision(
        title=gettext_lazy("Assign"),
        explanation="",
        button=gettext_lazy("Assign"),
        form=AssignForm,
        run=lambda r, d, u: services.assign_requests(
            request_ids=[r.pk], assignee=d["assignee"], actor=u
        ),
        done=gettext_lazy("The assignment is saved."),
    ),
}


@requires("requests.decide")
def decide(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """GET shows the confirmation page; POST decides. Refusals come from the service."""
    decision = DECISIONS.get(action)
    if decision is None:
        raise Http404("No such action.")
    subject_request = get_object_or_404(SubjectRequest.objects.defer("agent_proof"), pk=pk)
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
        {"req": subject_request, "decision": decision, "form": form, "action": action},
        status=400 if request.method == "POST" else 200,
    )


def _post_entry(
    request: HttpRequest,
    pk: int,
    form: forms.Form,
    run: Callable[[SubjectRequest], Any],
    done: str,
) -> HttpResponse:
    subject_request = get_object_or_404(SubjectRequest.objects.defer("agent_proof"), pk=pk)
    if form.is_valid():
        try:
            run(subject_request)
        except services.RequestError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, done)
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect(subject_request)


@requires("requests.queue")
@require_POST
def add_note(request: HttpRequest, pk: int) -> HttpResponse:
    form = NoteForm(request.POST)
    return _post_entry(
        request,
        pk,
        form,
        lambda r: services.add_note(request=r, text=form.cleaned_data["text"], actor=request.user),
        _("Note added."),
    )


@requires("requests.queue")
@require_POST
def send_message(request: HttpRequest, pk: int) -> HttpResponse:
    form = MessageForm(request.POST)
    return _post_entry(
        request,
        pk,
        form,
        lambda r: services.send_message(
            request=r, text=form.cleaned_data["text"], actor=request.user
        ),
        _("Message sent to the requester."),
    )


@requires("requests.queue")
@require_POST
def add_document(request: HttpRequest, pk: int) -> HttpResponse:
    form = DocumentForm(request.POST, request.FILES)

    def run(r: SubjectRequest) -> Any:
        upload = form.cleaned_data["file"]
        return services.attach_document(
            request=r,
            content=upload.read(),
            name=upload.name or "document",
            content_type=upload.content_type or "application/octet-stream",
            note=form.cleaned_data["note"],
            actor=request.user,
        )

    return _post_entry(request, pk, form, run, _("Document added."))


def _download(content: bytes, name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type or "application/octet-stream")
    safe = "".join(c for c in name if c.isalnum() or c in "._- ") or "document"
    response["Content-Disposition"] = f'attachment; filename="{safe}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@requires("requests.queue")
@require_GET
def document(request: HttpRequest, pk: int, entry_id: int) -> HttpResponse:
    entry = get_object_or_404(
        TimelineEntry.objects.select_related("request"),
        pk=entry_id,
        request_id=pk,
        document__isnull=False,
    )
    record_event(
        action="request.document_viewed",
        actor=request.user,
        target=entry.request,
        details={"reference": entry.request.reference, "entry": entry.pk},
    )
    return _download(
        entry.document or b"", entry.document_name or "document", entry.document_content_type
    )


@requires("requests.queue")
@require_GET
def agent_proof(request: HttpRequest, pk: int) -> HttpResponse:
    subject_request = get_object_or_404(SubjectRequest, pk=pk, agent_proof__isnull=False)
    record_event(
        action="request.agent_proof_viewed",
        actor=request.user,
        target=subject_request,
        details={"reference": subject_request.reference},
    )
    return _download(
        subject_request.agent_proof or b"",
        subject_request.agent_proof_name or "authorisation",
        subject_request.agent_proof_content_type,
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


# Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


REGISTER_HEADER = [
    "reference",
    "type",
    "channel",
    "received",
    "due",
    "extended",
    "paused days",
    "status",
    "closed",
    "assignee",
    "outcome",
]


def register_line(r: SubjectRequest) -> list[str]:
    zone = legal_zone()
    return [
        neutralise(cell)
        for cell in (
            r.reference,
            r.type,
            r.channel,
            r.received_at.astimezone(zone).isoformat(timespec="minutes"),
            legal_date(r.due_at).isoformat(),
            legal_date(r.extended_at).isoformat() if r.extended_at else "",
            r.paused_days,
            r.status,
            r.closed_at.astimezone(zone).isoformat(timespec="minutes") if r.closed_at else "",
            r.assignee.get_username() if r.assignee else "",
            Status(r.status).label if r.status in Status.values and not r.is_open else "",
        )
    ]


class _Echo:
    def write(self, value: str) -> str:
        return value


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
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(REGISTER_HEADER)
        for r in register_rows(received_from=start, received_to=end):
            yield writer.writerow(register_line(r))

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="requests-register-{stamp}.csv"'
    return response
