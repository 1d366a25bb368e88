"""The invariants of the state machine of the request services (`test_request_state_machine`),
read from the data after every step that wrote something."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from core.chain import verify_chain
from subject_requests.choices import (
    ACTIONS_FOR_TYPE,
    CLOSED_STATUSES,
    TRANSITIONS,
    ActionStatus,
    EntryKind,
    Operation,
    RequestType,
    Status,
)
from subject_requests.deadlines import request_deadline
from subject_requests.letters import PDF_LETTERS
from subject_requests.models import Pause, RightAction, SubjectRequest, SystemTask, TimelineEntry
from subjects.models import DataSubject

# A person already so needs no action: erased for an erasure, restricted for a restriction.
ALREADY_SO: dict[str, str] = {
    RequestType.ERASURE: "anonymised_at",
    RequestType.RESTRICTION: "restricted_at",
}


@dataclass
class Watch:
    """What the invariants remember between steps."""

    deadlines: dict[int, tuple[dt.datetime, dt.datetime]] = field(default_factory=dict)
    # Of each completed request of an acting right, the people whose data was already as the
    # right asks when it completed (erased, restricted): they needed no action.
    already_so: dict[int, set[int]] = field(default_factory=dict)
    calls_seen: int = -1  # the machine's calls taken when the invariants were last read

    def changed(self, calls_taken: int) -> bool:
        """Whether a service call was taken since the last call. Counted, not read: the
        audit log's last event, read after every step, was a query a step."""
        changed, self.calls_seen = calls_taken != self.calls_seen, calls_taken
        return changed


def _already_so(request_type: str, people: list[int]) -> set[int]:
    """Of `people`, those whose data is already as the right asks (see `ALREADY_SO`)."""
    field_name = ALREADY_SO.get(request_type)
    if field_name is None:
        return set()
    already = DataSubject.objects.filter(pk__in=people, **{f"{field_name}__isnull": False})
    return set(already.values_list("pk", flat=True))


def check_acting_rights_answered(watch: Watch) -> None:
    """A completed request of a right that acts on data has, for every matched person, the
    right's action carried out or refused with reasons, or the person was already so."""
    completed = dict(
        SubjectRequest.objects.filter(
            status=Status.COMPLETED, type__in=list(ACTIONS_FOR_TYPE)
        ).values_list("pk", "type")
    )
    if not completed:
        return
    links = SubjectRequest.subjects.through.objects.filter(subjectrequest_id__in=completed)
    people: dict[int, list[int]] = {pk: [] for pk in completed}
    for pk, person in links.values_list("subjectrequest_id", "datasubject_id"):
        people[pk].append(person)
    answered = set()
    actions = RightAction.objects.filter(
        request__in=completed, status__in=(ActionStatus.DONE, ActionStatus.REFUSED)
    ).only("request_id", "subject_id", "kind", "status", "note")
    for action in actions:
        given = action.status == ActionStatus.DONE or (action.note or "").strip()
        if given and action.kind == ACTIONS_FOR_TYPE[completed[action.request_id]][0]:
            answered.add((action.request_id, action.subject_id))
    for pk, request_type in completed.items():
        if pk not in watch.already_so:  # the step that completed it
            watch.already_so[pk] = _already_so(request_type, people[pk])
        for person in people[pk]:
            assert (pk, person) in answered or person in watch.already_so[pk], (
                f"request {pk} ({request_type}) completed with nothing done for person {person}"
            )


def check_no_open_task_on_a_completed_request() -> None:
    """No completed request has a system task unresolved, unless it was completed with the
    DPO's reason. (By design an erasure a legal hold or a claim defers leaves its tasks
    waiting, which is not unresolved, and opens them when the purge erases the person, after
    the request completed: the machine runs no purge.)"""
    waiting = SystemTask.objects.unresolved().filter(request__status=Status.COMPLETED)
    for pk in set(waiting.values_list("request_id", flat=True)):
        request = SubjectRequest.objects.only("reference", "systems_override").get(pk=pk)
        assert request.systems_override.strip(), (
            f"{request.reference} completed with a task unresolved and no reason given"
        )


def check_open_tasks_concern_the_requests_people() -> None:
    """A system is asked about a person only while the request is about them."""
    linked = set(
        SubjectRequest.subjects.through.objects.values_list("subjectrequest_id", "datasubject_id")
    )
    for pk, request, person in SystemTask.objects.unresolved().values_list(
        "pk", "request_id", "subject_id"
    ):
        assert person is None or (request, person) in linked, (
            f"task {pk} of request {request} asks about person {person}, no longer linked"
        )


def check_a_request_closed_unanswered_asks_nothing() -> None:
    """A request rejected, withdrawn or closed unverified leaves no question to a system
    unanswered and no action waiting for a DPO's confirmation (an action carried out keeps
    its tasks: the systems still act on their copies)."""
    closed = (Status.REJECTED, Status.WITHDRAWN, Status.CLOSED_UNVERIFIED)
    asking = SystemTask.objects.unresolved().filter(request__status__in=closed, action__isnull=True)
    assert not asking.exists(), f"questions left open: {list(asking.values_list('pk', 'status'))}"
    proposed = RightAction.objects.proposed().filter(request__status__in=closed)
    assert not proposed.exists(), f"proposals left: {list(proposed.values_list('pk', flat=True))}"


def check_access_asks_the_systems_about_everyone() -> None:
    """A started access request has asked the systems holding their data what they hold about
    each person it is about (still in use)."""
    started = SubjectRequest.objects.filter(
        type=RequestType.ACCESS, status__in=(Status.IN_PROGRESS, Status.COMPLETED)
    )
    asked = set(
        SystemTask.objects.filter(request__in=started, operation=Operation.ACCESS).values_list(
            "request_id", "subject_id"
        )
    )
    links = SubjectRequest.subjects.through.objects.filter(
        subjectrequest__in=started, datasubject__anonymised_at__isnull=True
    )
    for pair in links.values_list("subjectrequest_id", "datasubject_id"):
        assert pair in asked, f"request {pair[0]}: no system was asked about person {pair[1]}"


def check_deadlines(watch: Watch) -> None:
    """A request's due and target instants never move back, and are always those of its
    receipt, its extension and its closed pauses (never chained from an earlier due date); a
    paused request has exactly one open pause, a closed one none, and a closing time."""
    closed_days: Counter[int] = Counter()
    open_pauses: Counter[int] = Counter()
    for pk, ended_at, days in Pause.objects.values_list("request_id", "ended_at", "days"):
        if ended_at is None:
            open_pauses[pk] += 1
        else:
            closed_days[pk] += days or 0
    rows = SubjectRequest.objects.values_list(
        "pk", "status", "received_at", "extended_at", "paused_days", "paused_since",
        "closed_at", "due_at", "target_at",
    )  # fmt: skip
    for pk, status, received, extended, paused_days, paused_since, closed, *due in rows:
        before = watch.deadlines.get(pk)
        assert before is None or (due[0] >= before[0] and due[1] >= before[1]), (
            f"request {pk}: due and target {before} moved back to {due}"
        )
        watch.deadlines[pk] = (due[0], due[1])
        assert paused_days == closed_days[pk], f"request {pk}: {paused_days} paused days"
        deadline = request_deadline(received, extended=extended is not None, pauses=[paused_days])
        assert (deadline.due_at, deadline.target_at) == tuple(due), f"request {pk}: {due}"
        assert open_pauses[pk] == (0 if paused_since is None else 1), f"request {pk}"
        if status in CLOSED_STATUSES:
            assert paused_since is None and closed is not None, f"request {pk} ({status})"


def check_status_history() -> None:
    """Every change of status on the timeline is one the status machine allows, and the last
    one is the request's status."""
    status = dict(SubjectRequest.objects.values_list("pk", "status"))
    last: dict[int, str] = {}
    changes = TimelineEntry.objects.filter(kind=EntryKind.STATUS).order_by("occurred_at", "pk")
    for pk, old, new in changes.values_list("request_id", "from_status", "to_status"):
        assert not old or new in TRANSITIONS[old], f"request {pk}: {old} → {new}"
        last[pk] = new
    assert last == status, (last, status)


def check_the_record_of_letters_stays() -> None:
    """A letter sent as a PDF is kept with the request, the proof of what was sent: its
    timeline entry keeps the document."""
    lost = TimelineEntry.objects.filter(letter__in=PDF_LETTERS, answer__isnull=True)
    assert not lost.exists(), [
        (e.request_id, e.letter, e.summary) for e in lost.only("request_id", "letter", "summary")
    ]


def check_audit_log_verifies() -> None:
    report = verify_chain()
    assert report.intact, report.broken
