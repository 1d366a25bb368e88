"""Whom a request is about: the DPO links a stored person found by name words or e-mail,
or unlinks one matched by mistake, between the identity check and the answer."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import record_grouped_read
from core.permissions import requires
from subject_requests import guards, services
from subject_requests.choices import ACTIONS_FOR_TYPE, ActionKind
from subject_requests.forms import MatchChangeForm, PersonSearchForm, RefuseActionForm
from subject_requests.models import SubjectRequest
from subject_requests.services.refusals import refuse_action
from subject_requests.services.task_withdrawal import open_questions
from subjects.models import DataSubject

PEOPLE_FOUND_LIMIT = 20


@requires("requests.decide")
def people(request: HttpRequest, pk: int) -> HttpResponse:
    """Whom the request is about: the DPO finds a stored person by name words or e-mail and
    links them, or unlinks one matched by mistake (each change audited by the service)."""
    subject_request = get_object_or_404(SubjectRequest.objects.defer("agent_proof"), pk=pk)
    refusal = guards.can_change_match(subject_request, timezone.now())
    change = MatchChangeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if refusal is None and change.is_valid():
            service = (
                services.link_subject
                if change.cleaned_data["change"] == "link"
                else services.unlink_subject
            )
            try:
                service(
                    request=subject_request,
                    subject_id=change.cleaned_data["subject"],
                    actor=request.user,
                )
            except services.RequestError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request,
                    _("Person linked to the request.")
                    if change.cleaned_data["change"] == "link"
                    else _("Person unlinked from the request."),
                )
                return redirect("subject_requests:people", pk=pk)
        else:
            messages.error(request, refusal or _("Choose a person to link or unlink."))
        status = 400
    search = PersonSearchForm(request.GET if "q" in request.GET else None)
    linked = list(subject_request.subjects.order_by("pk"))
    # Unlinking asks first: the answer stops covering the person, and what was built for
    # them and not sent is removed.
    asked = request.GET.get("unlink", "")
    confirming = next((p for p in linked if asked.isdigit() and p.pk == int(asked)), None)
    drafts = (
        subject_request.answers.documents().filter(subject=confirming).count() if confirming else 0
    )
    # The systems asked what they hold about the person are told the question is withdrawn.
    withdrawn = (
        sorted(
            set(
                open_questions(subject_request, subject_id=confirming.pk).values_list(
                    "system__name", flat=True
                )
            )
        )
        if confirming
        else []
    )
    found: list[DataSubject] = []
    if refusal is None and search.is_valid() and search.cleaned_data.get("q", "").strip():
        found = list(
            DataSubject.objects.active()
            .search(search.cleaned_data["q"])
            .exclude(pk__in=[p.pk for p in linked])
            .select_related("organisation")
            .order_by("pk")[:PEOPLE_FOUND_LIMIT]
        )
    record_grouped_read(
        action="request.people_viewed",
        actor=request.user,
        target_type="subjects.datasubject",
        target_ids=[p.pk for p in [*linked, *found]],
        details={"request": subject_request.pk, "searched": bool(found)},
    )
    response = render(
        request,
        "subject_requests/people.html",
        {
            "req": subject_request,
            "refusal": refusal,
            "linked": linked,
            "confirming": None if refusal else confirming,
            "drafts": drafts,
            "withdrawn": withdrawn,
            "found": found,
            "search": search,
            "searched": search.is_bound,
            "limit": PEOPLE_FOUND_LIMIT,
        },
        status=status,
    )
    response["Cache-Control"] = "private, no-store"
    return response


@requires("requests.decide")
def refuse(request: HttpRequest, pk: int, subject_pk: int) -> HttpResponse:
    """GET asks for the reasons; POST refuses the request's action for this one person."""
    subject_request = get_object_or_404(SubjectRequest.objects.defer("agent_proof"), pk=pk)
    person = get_object_or_404(subject_request.subjects.all(), pk=subject_pk)
    refusal = guards.can_refuse_action(subject_request, timezone.now())
    if refusal is None and person not in guards.people_not_acted_on(subject_request):
        refusal = _("This person's answer is already given: carried out or refused.")
    if refusal is not None:
        messages.error(request, refusal)
        return redirect(subject_request)
    form = RefuseActionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            refuse_action(
                request=subject_request,
                subject_id=person.pk,
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except services.RequestError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Refusal recorded: the letter gives your reasons."))
            return redirect(subject_request)
    return render(
        request,
        "subject_requests/refuse.html",
        {
            "req": subject_request,
            "person": person,
            "right": ActionKind(ACTIONS_FOR_TYPE[subject_request.type][0]).label,
            "form": form,
        },
        status=400 if request.method == "POST" else 200,
    )
