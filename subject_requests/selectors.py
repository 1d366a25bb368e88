"""Reads of requests that cross models or serve a page: the queue, a request's page, the
register, the counts on the DPO's home page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page
from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    prefetch_related_objects,
)

from core.expressions import RowCount
from core.pagination import CountedPaginator, page_with_count
from core.permissions import has_permission
from core.timeutil import end_of_legal_day
from subject_requests import guards
from subject_requests.choices import (
    ANSWER_FOR_TYPE,
    CLOSED_STATUSES,
    OPEN_STATUSES,
    AnswerKind,
    Status,
    Transmission,
)
from subject_requests.freshness import changes_since_built, current
from subject_requests.guards import ACTIONS
from subject_requests.models import (
    Answer,
    Pause,
    RightAction,
    SubjectRequest,
    SubjectRequestQuerySet,
    SystemTask,
    TimelineEntry,
    due_soon_q,
    overdue_q,
)
from subjects.models import DataSubject

# Columns the queue needs; the rest (the words, the proof, notes) stays in the database.
QUEUE_FIELDS = (
    "id",
    "reference",
    "type",
    "channel",
    "status",
    "requester_name",
    "received_at",
    "due_at",
    "target_at",
    "extended_at",
    "paused_days",
    "paused_since",
    "duplicate_of_id",
    "via_agent",
    "verified_at",
    "assignee__id",
    "assignee__username",
    "assignee__first_name",
    "assignee__last_name",
)


@dataclass(frozen=True)
class QueueFilters:
    status: str = ""  # "" = every open status, "closed", "all" or one status
    type: str = ""
    channel: str = ""
    assignee: str = ""  # "" = anyone, "me", "none" or a user id
    overdue: bool = False
    due_soon: bool = False
    paused: bool = False  # the clock is paused (identity or a clarification outstanding)
    transmission: bool = False  # a receiving company named, waiting for a DPO's decision
    q: str = ""


def requests_for_queue(
    *, reviewer: Any, now: dt.datetime, filters: QueueFilters | None = None
) -> SubjectRequestQuerySet:
    """Requests by target day (open ones unless asked otherwise), filtered; two queries per
    page whatever the size of the table (count and slice), both on the partial indexes."""
    filters = filters or QueueFilters()
    requests = SubjectRequest.objects.select_related("assignee").only(*QUEUE_FIELDS)
    if filters.status == "all":
        pass
    elif filters.status == "closed":
        requests = requests.filter(status__in=CLOSED_STATUSES)
    elif filters.status in Status.values:
        requests = requests.filter(status=filters.status)
    else:
        requests = requests.filter(status__in=OPEN_STATUSES)
    if filters.type:
        requests = requests.filter(type=filters.type)
    if filters.channel:
        requests = requests.filter(channel=filters.channel)
    if filters.assignee == "me":
        requests = requests.filter(assignee=reviewer)
    elif filters.assignee == "none":
        requests = requests.filter(assignee__isnull=True)
    elif filters.assignee.isdigit():
        requests = requests.filter(assignee_id=int(filters.assignee))
    if filters.overdue:
        requests = requests.overdue(now=now)
    if filters.due_soon:
        requests = requests.due_soon(now=now)
    if filters.paused:
        requests = requests.filter(paused_since__isnull=False)
    if filters.transmission:
        requests = requests.filter(transmission=Transmission.ASKED)
    if filters.q:
        requests = requests.search(filters.q)
    return requests.order_by("target_at", "id")


# The request page's timeline a page at a time, the latest entries on the first page.
TIMELINE_PAGE_SIZE = 20


def request_for_page(pk: int) -> SubjectRequest:
    """The request with the lists its page shows. Whether it has any matched people,
    answers, actions and system tasks, and how long its timeline is, come with the request
    (subqueries of its one query); a list it has none of then costs no query (a request has
    no action or task for days, and many never), so the page's queries stay few and never
    grow with the lists. The timeline is read a page at a time: `timeline_page`."""
    one = OuterRef("pk")
    request = (
        SubjectRequest.objects.select_related("assignee", "duplicate_of", "created_by")
        .defer("agent_proof")
        .annotate(
            has_subjects=Exists(SubjectRequest.subjects.through.objects.filter(subjectrequest=one)),
            has_answers=Exists(Answer.objects.filter(request=one)),
            has_actions=Exists(RightAction.objects.filter(request=one)),
            has_system_tasks=Exists(SystemTask.objects.filter(request=one)),
            timeline_count=RowCount(TimelineEntry.objects.filter(request=one)),
        )
        .get(pk=pk)
    )
    lists: dict[str, QuerySet[Any]] = {
        "subjects": DataSubject.objects.all(),
        "answers": Answer.objects.defer("content")
        .select_related("reviewed_by")
        .order_by("requested_at", "id"),
        "actions": RightAction.objects.select_related("subject", "proposed_by", "done_by")
        .defer("details")
        .order_by("proposed_at", "id"),
        "system_tasks": SystemTask.objects.select_related("system", "owner")
        .defer("payload")
        .order_by("kind", "due_on", "id"),
    }
    # A `none()` queryset fills the prefetch cache without asking the database.
    prefetch_related_objects(
        [request],
        *(
            Prefetch(name, queryset=rows if getattr(request, f"has_{name}") else rows.none())
            for name, rows in lists.items()
        ),
    )
    return request


def timeline_page(request: SubjectRequest, number: Any) -> Page[TimelineEntry]:
    """A page of the request's timeline: the latest entries on the first page, each page in
    the order things happened. Its count came with the request (`request_for_page`)."""
    entries = (
        TimelineEntry.objects.filter(request=request)
        .select_related("actor")
        .defer("document")
        .order_by("-occurred_at", "-id")
    )
    count = getattr(request, "timeline_count", None)
    paginator = CountedPaginator(
        entries, TIMELINE_PAGE_SIZE, count=entries.count() if count is None else count
    )
    page = paginator.get_page(number)
    page.object_list = list(page.object_list)[::-1]
    return page


@dataclass(frozen=True)
class RequestActions:
    """What a user may do to a request now (`guards.ACTIONS` slugs), and why each other
    action their role allows is refused."""

    allowed: frozenset[str]
    refused: dict[str, str]

    def __contains__(self, action: object) -> bool:
        return action in self.allowed


def request_actions(request: SubjectRequest, *, user: Any, now: dt.datetime) -> RequestActions:
    """The request page's buttons: the same guards the services raise, for the actions the
    user's role allows."""
    allowed: set[str] = set()
    refused: dict[str, str] = {}
    for slug, action in ACTIONS.items():
        if not has_permission(user, action.permission):
            continue
        refusal = action.guard(request, now)
        if refusal is None:
            allowed.add(slug)
        else:
            refused[slug] = refusal
    return RequestActions(allowed=frozenset(allowed), refused=refused)


def pauses_of(request: SubjectRequest) -> list[Pause]:
    """Most requests were never paused: ask the database only when one was."""
    if not request.paused_days and request.paused_since is None:
        return []
    return list(request.pauses.order_by("started_at", "id"))


def queue_counts(*, now: dt.datetime, assignee: Any = None) -> dict[str, int]:
    """The DPO's home panel, in one query; "overdue" and "due soon" are the queue's own
    filters, so each count equals the list its link opens."""
    requests = SubjectRequest.objects.open()
    if assignee is not None:
        requests = requests.filter(assignee=assignee)
    return requests.aggregate(
        open=Count("id"),
        overdue=Count("id", filter=overdue_q(now=now)),
        due_soon=Count("id", filter=due_soon_q(now=now)),
        awaiting_identity=Count("id", filter=Q(status=Status.AWAITING_IDENTITY)),
        paused=Count("id", filter=Q(paused_since__isnull=False)),
        unassigned=Count("id", filter=Q(assignee__isnull=True)),
        transmission=Count("id", filter=Q(transmission=Transmission.ASKED)),
    )


REGISTER_FIELDS = (
    "id",
    "reference",
    "type",
    "channel",
    "status",
    "received_at",
    "due_at",
    "extended_at",
    "paused_days",
    "paused_since",
    "closed_at",
    "assignee__username",
)


def register_rows(
    *, received_from: dt.date | None = None, received_to: dt.date | None = None
) -> Iterator[SubjectRequest]:
    """The register of requests (GDPR Art. 5(2)): no requester data, streamed in chunks."""
    from core.timeutil import start_of_legal_day

    requests = SubjectRequest.objects.select_related("assignee").only(*REGISTER_FIELDS)
    if received_from:
        requests = requests.filter(received_at__gte=start_of_legal_day(received_from))
    if received_to:
        requests = requests.filter(received_at__lte=end_of_legal_day(received_to))
    return requests.order_by("received_at", "id").iterator(chunk_size=2000)


# A person's page lists their requests a page at a time (`subject_requests.sections`).
SUBJECT_REQUESTS_PAGE_SIZE = 10


def requests_of_subject(subject: Any, number: Any = 1) -> Page[SubjectRequest]:
    """A page of the person's requests, newest first, and how many they made: one query."""
    return page_with_count(
        subject.subject_requests.only(
            "id",
            "reference",
            "type",
            "status",
            "received_at",
            "due_at",
            "target_at",
            "extended_at",
            "paused_days",
            "paused_since",
            "closed_at",
        ).order_by("-received_at", "-id"),
        number,
        SUBJECT_REQUESTS_PAGE_SIZE,
    )


@dataclass(frozen=True)
class AnswerCard:
    """The request page's answer card: the document the right is answered with (if any),
    what has been built, and the letters sent."""

    kind: str | None  # AnswerKind, or None: the right is answered by acting
    kind_label: str
    documents: list[Answer]
    letters: list[Answer]
    can_build: bool
    build_refusal: str
    # The documents a newer one replaced, and what changed since the others were built
    # (out of date: the requester may not receive them), in words, by id.
    replaced: set[int] = field(default_factory=set)
    out_of_date: dict[int, str] = field(default_factory=dict)
    # Being built by a worker that stopped: the DPO may take them over (`guards`).
    stalled: set[int] = field(default_factory=set)

    def document_rows(self) -> list[tuple[Answer, bool, str, bool]]:
        return [
            (a, a.pk in self.replaced, self.out_of_date.get(a.pk, ""), a.pk in self.stalled)
            for a in self.documents
        ]


def answer_card(
    request: SubjectRequest, *, actions: RequestActions, now: dt.datetime
) -> AnswerCard:
    """From the answers `request_for_page` prefetched (without their content)."""
    kind = ANSWER_FOR_TYPE.get(request.type)
    answers = list(request.answers.all())
    documents = [a for a in answers if a.kind != AnswerKind.LETTER]
    kept = {a.pk for a in current(documents)}
    return AnswerCard(
        replaced={a.pk for a in documents if a.pk not in kept},
        out_of_date={
            pk: ", ".join(changes)
            for pk, changes in changes_since_built(
                a for a in documents if a.pk in kept and a.is_ready and not a.sent_at
            ).items()
            if changes
        },
        kind=kind,
        kind_label=str(AnswerKind(kind).label) if kind else "",
        documents=documents,
        letters=[a for a in answers if a.kind == AnswerKind.LETTER],
        can_build="build-answer" in actions,
        build_refusal=actions.refused.get("build-answer", ""),
        stalled={a.pk for a in documents if guards.can_take_over_answer(a, now) is None},
    )


def stalled_tasks(request: SubjectRequest, *, now: dt.datetime) -> set[int]:
    """The request's system tasks whose worker stopped: the DPO may take them over."""
    return {t.pk for t in request.system_tasks.all() if guards.can_take_over_task(t, now) is None}
