"""What a request's state allows, stated once.

Each guard answers "may this action happen to this request now?" with `None` (yes) or the
refusal shown to the user. The services raise that refusal; the request page offers exactly
the actions whose guard says yes (`selectors.request_actions`), so a button is never shown
for a step the service would refuse, nor hidden for one it would take. What the user types
(a reason, a note) is checked by the service, not here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from consent.models import ObjectionReview
from subject_requests.choices import (
    ACTIONS_FOR_TYPE,
    ANSWER_FOR_TYPE,
    STAFF_CHANNELS,
    TRANSITIONS,
    ActionKind,
    ActionStatus,
    AnswerKind,
    AnswerStatus,
    RequestType,
    Status,
    TaskStatus,
    Transmission,
)
from subject_requests.freshness import stale_documents
from subject_requests.models import Answer, RightAction, SubjectRequest, SystemTask

Guard = Callable[[SubjectRequest, dt.datetime], str | None]


def transition_refusal(request: SubjectRequest, to: str) -> str | None:
    """The one status machine (`choices.TRANSITIONS`)."""
    if to in TRANSITIONS[request.status]:
        return None
    return _("A request that is %(status)s cannot become %(new_status)s.") % {
        "status": request.get_status_display().lower(),
        "new_status": Status(to).label.lower(),
    }


def can_verify(request: SubjectRequest, now: dt.datetime) -> str | None:
    if not request.can_become(Status.VERIFIED):
        return f"A request that is {request.get_status_display().lower()} cannot be verified."
    return None


def can_resend_link(request: SubjectRequest, now: dt.datetime) -> str | None:
    if not request.requester_email:
        return "The request has no e-mail address to send a link to."
    if request.status not in (Status.RECEIVED, Status.AWAITING_IDENTITY):
        return "Only a request not yet verified can be sent a verification link."
    return None


def can_start(request: SubjectRequest, now: dt.datetime) -> str | None:
    return transition_refusal(request, Status.IN_PROGRESS)


def can_change_match(request: SubjectRequest, now: dt.datetime) -> str | None:
    """The DPO links a stored person to the request, or unlinks one, once the requester's
    identity is checked and until the request is answered."""
    if request.status not in (Status.VERIFIED, Status.IN_PROGRESS):
        if request.status in (Status.RECEIVED, Status.AWAITING_IDENTITY):
            return _("Check the requester's identity first: then link the people it holds.")
        return _("A request that is %(status)s no longer changes whom it is about.") % {
            "status": request.get_status_display().lower()
        }
    return None


def can_complete(request: SubjectRequest, now: dt.datetime) -> str | None:
    return (
        transition_refusal(request, Status.COMPLETED)
        or answer_not_reviewed(request)
        or transmission_undecided(request)
        or answer_out_of_date(request)
        or action_waiting(request)
        or action_missing(request)
    )


def people_not_acted_on(request: SubjectRequest) -> list[Any]:
    """The matched people a right that acts on data (erasure, rectification, restriction,
    objection) has not yet reached: no action of the right was carried out on them, nor
    refused with reasons. A person whose data is already so (erased for an erasure,
    restricted for a restriction) needs nothing more."""
    kinds = ACTIONS_FOR_TYPE.get(request.type)
    if not kinds:
        return []
    answered = {
        a.subject_id
        for a in request.actions.all()
        if a.kind == kinds[0] and a.status in (ActionStatus.DONE, ActionStatus.REFUSED)
    }
    return [
        person
        for person in request.subjects.all()
        if person.pk not in answered and not _already_so(request, person)
    ]


def _already_so(request: SubjectRequest, person: Any) -> bool:
    """The person's data is already as the right asks: erased, or restricted."""
    if request.type == RequestType.ERASURE:
        return person.anonymised_at is not None
    if request.type == RequestType.RESTRICTION:
        return person.restricted_at is not None
    return False


def action_missing(request: SubjectRequest) -> str | None:
    """GDPR Art. 12(3)-(4): a request of a right that acts on data is answered only once,
    for every matched person, the action was carried out or refused with the DPO's reasons.
    Matched to nobody, the answer is that no data is held."""
    waiting = people_not_acted_on(request)
    if not waiting:
        return None
    return _(
        "%(right)s is not yet carried out for %(people)s: carry it out, or refuse it for "
        "that person with your reasons, before completing."
    ) % {
        "right": ActionKind(ACTIONS_FOR_TYPE[request.type][0]).label,
        "people": ", ".join(str(person) for person in waiting),
    }


def can_refuse_action(request: SubjectRequest, now: dt.datetime) -> str | None:
    """May the DPO refuse the request's action for one of its people (with reasons)?"""
    if request.type not in ACTIONS_FOR_TYPE:
        return _("This right is answered with a document, not by acting on the data.")
    if request.status not in (Status.VERIFIED, Status.IN_PROGRESS):
        return _("Only a verified request that is not yet answered can be refused in part.")
    return None


def action_waiting(request: SubjectRequest) -> str | None:
    if _proposed(request, ActionKind.ERASURE):
        return "The proposed erasure awaits a DPO's confirmation (or its withdrawal)."
    if request.type == RequestType.OBJECTION_PROCESSING:
        objections = request.actions.filter(kind=ActionKind.OBJECTION).only("details")
        reviews = [pk for a in objections for pk in (a.details or {}).get("reviews", [])]
        if reviews and ObjectionReview.objects.open().filter(pk__in=reviews).exists():
            return (
                "Decide the objection first (the balancing of GDPR Art. 21(1)): the letter "
                "tells the requester the outcome."
            )
    return None


def _answers_of(request: SubjectRequest, kind: str) -> list[Answer]:
    # `request.answers.all()`: the request page prefetches them (its query budget), a
    # service's locked request reads them here.
    return [a for a in request.answers.all() if a.kind == kind]


def answer_not_reviewed(request: SubjectRequest) -> str | None:
    """A right answered with a document (access, copy, portability, information) is complete
    only once the DPO has reviewed the document the requester will receive. A requester
    matched to nobody is told that no data about them is held: no document to review."""
    kind = ANSWER_FOR_TYPE.get(request.type)
    if kind is None or not request.subjects.exists():
        return None
    answers = _answers_of(request, kind)
    if any(a.is_being_built for a in answers):
        return "A document for this request is still being built."
    if not any(a.is_deliverable for a in answers):
        return (
            f"Build and review the {AnswerKind(kind).label.lower()} first: the requester "
            "receives it with the closing letter."
        )
    return None


def answer_out_of_date(request: SubjectRequest) -> str | None:
    """The requester receives what holds when the answer goes out: a reviewed document built
    before a system answered, an action was carried out or the person's data changed is built
    again (and reviewed) first."""
    stale = stale_documents(request)
    if not stale:
        return None
    answer, changes = stale[0]
    return (
        f"The {answer.get_kind_display().lower()} was built before {', '.join(changes)} "
        "changed: build it again and review it, so the requester receives what holds now."
    )


def transmission_undecided(request: SubjectRequest) -> str | None:
    """GDPR Art. 20(2): a package the requester asked to go to another company goes only once
    a DPO has confirmed it, or declined it with reasons (then it goes to the requester)."""
    if request.transmission != Transmission.ASKED:
        return None
    return _(
        "The requester asked that the package go to another company: confirm that, or decline "
        "it with your reasons, before completing."
    )


def can_decide_transmission(request: SubjectRequest, now: dt.datetime) -> str | None:
    """May a DPO confirm or decline sending the package to the company the requester named
    (and change that decision until the request is answered)?"""
    if request.type != RequestType.PORTABILITY or not request.transmission:
        return _("The requester did not ask for the data to be sent to another company.")
    if request.status in (Status.RECEIVED, Status.AWAITING_IDENTITY):
        return _(
            "Check the requester's identity first: only then may their data go to another company."
        )
    if request.status not in (Status.VERIFIED, Status.IN_PROGRESS):
        return _("The request is answered: its transmission can no longer change.")
    return None


def can_build_answer(request: SubjectRequest, now: dt.datetime) -> str | None:
    kind = ANSWER_FOR_TYPE.get(request.type)
    if kind is None:
        return "This right is answered by acting on the data, not with a document."
    if request.status not in (Status.VERIFIED, Status.IN_PROGRESS):
        return "Only a verified request that is open can be answered."
    if not request.subjects.exists():
        return (
            "The requester is matched to no person: there is no data to report. Match them "
            "(verify their e-mail or record an identity check naming the person) or complete "
            "the request saying that no data is held."
        )
    if any(
        a.status in (AnswerStatus.QUEUED, AnswerStatus.BUILDING) for a in _answers_of(request, kind)
    ):
        return "The document is already being built."
    return None


def can_review_answer(answer: Answer) -> str | None:
    if answer.status != AnswerStatus.READY:
        return "Only a finished document can be reviewed."
    if answer.is_reviewed:
        return "This document is already reviewed."
    if not answer.request.is_open:
        return "The request is closed."
    return None


def can_take_over_answer(answer: Answer, now: dt.datetime) -> str | None:
    """May a DPO build again a document whose worker stopped (`core.heartbeat`)?"""
    if answer.status == AnswerStatus.QUEUED:
        return "It is waiting for a worker: taken over already, or not started yet."
    if answer.status != AnswerStatus.BUILDING:
        return "Only a document being built can be taken over."
    if not answer.is_stalled(now):
        return "Its worker is building it: the page shows its progress."
    if not answer.request.is_open:
        return "The request is closed."
    return None


def can_take_over_task(task: SystemTask, now: dt.datetime) -> str | None:
    """May a DPO have the portal carry out again a system's task whose worker stopped? Also
    once the request is answered: an erasure still owed is carried out whatever its request."""
    if task.status == TaskStatus.OPEN and not task.claimed_by:
        return "It is waiting for a worker: taken over already, or not started yet."
    if not task.is_stalled(now):
        return "Only a task whose worker stopped can be taken over."
    return None


def can_retry_answer(answer: Answer) -> str | None:
    if answer.status != AnswerStatus.FAILED:
        return "Only a document that failed to build can be tried again."
    if not answer.request.is_open:
        return "The request is closed."
    return None


def _erasure_open(request: SubjectRequest) -> str | None:
    if request.type != RequestType.ERASURE:
        return "Only an erasure request is answered by erasing."
    if request.status not in (Status.VERIFIED, Status.IN_PROGRESS):
        return "Only a verified request that is open can be acted on."
    return None


def _proposed(request: SubjectRequest, kind: str) -> list[RightAction]:
    # `request.actions.all()`: prefetched by the request page, read under lock by a service.
    return [
        a for a in request.actions.all() if a.kind == kind and a.status == ActionStatus.PROPOSED
    ]


def can_act(request: SubjectRequest, kind: str) -> str | None:
    """May an action of `kind` (rectification, restriction, its lifting, objection) be taken
    on this request now? Which person it is taken on is the service's check."""
    if kind not in ACTIONS_FOR_TYPE.get(request.type, ()):
        return f"A request for {request.get_type_display().lower()} is not answered that way."
    if request.status not in (Status.VERIFIED, Status.IN_PROGRESS):
        return "Only a verified request that is open can be acted on."
    return None


def can_propose_erasure(request: SubjectRequest, now: dt.datetime) -> str | None:
    refusal = _erasure_open(request)
    if refusal is not None:
        return refusal
    if _proposed(request, ActionKind.ERASURE):
        return "An erasure is already proposed: a DPO confirms or withdraws it."
    if not people_not_acted_on(request):
        return (
            "No matched person is left to erase: each is erased, or its erasure was carried "
            "out or refused with reasons, or nobody is matched. Complete the request."
        )
    return None


def can_confirm_erasure(request: SubjectRequest, now: dt.datetime) -> str | None:
    refusal = _erasure_open(request)
    if refusal is not None:
        return refusal
    if not _proposed(request, ActionKind.ERASURE):
        return "No erasure is waiting for confirmation."
    return None


def can_cancel_erasure(request: SubjectRequest, now: dt.datetime) -> str | None:
    if not _proposed(request, ActionKind.ERASURE):
        return "No erasure is waiting for confirmation."
    return None


def can_reject(request: SubjectRequest, now: dt.datetime) -> str | None:
    return transition_refusal(request, Status.REJECTED)


def can_withdraw(request: SubjectRequest, now: dt.datetime) -> str | None:
    return transition_refusal(request, Status.WITHDRAWN)


def can_close_unverified(request: SubjectRequest, now: dt.datetime) -> str | None:
    return transition_refusal(request, Status.CLOSED_UNVERIFIED)


def can_pause(request: SubjectRequest, now: dt.datetime) -> str | None:
    if not request.is_open:
        return "A closed request cannot be paused."
    if request.is_paused:
        return "The request is already paused."
    if request.is_overdue(now):
        return "The deadline has passed: a clock that has run out cannot stop."
    return None


def can_resume(request: SubjectRequest, now: dt.datetime) -> str | None:
    if not request.is_paused:
        return "The request is not paused."
    return None


def can_extend(request: SubjectRequest, now: dt.datetime) -> str | None:
    # GDPR Art. 12(3): once, and told within the first period.
    if not request.is_open:
        return "A closed request cannot be extended."
    if request.is_extended:
        return "The deadline has already been extended; the law allows it once."
    if request.is_overdue(now):
        return "The first deadline has passed: an extension must be told within the first month."
    return None


def can_assign(request: SubjectRequest, now: dt.datetime) -> str | None:
    if not request.is_open:
        return "Only open requests can be assigned."
    return None


def can_change_received(request: SubjectRequest, now: dt.datetime) -> str | None:
    if request.channel not in STAFF_CHANNELS:
        return "Only hand-entered requests have an editable receipt time."
    if not request.is_open:
        return "The request is closed; its dates are part of the register."
    return None


@dataclass(frozen=True)
class Action:
    """An action on one request: the permission it needs and the guard of its state."""

    permission: str
    guard: Guard


# Every action the request page can offer, by the slug its URL uses.
ACTIONS: dict[str, Action] = {
    "verify": Action("requests.decide", can_verify),
    "resend-link": Action("requests.decide", can_resend_link),
    "start": Action("requests.decide", can_start),
    "complete": Action("requests.decide", can_complete),
    "pause": Action("requests.decide", can_pause),
    "resume": Action("requests.decide", can_resume),
    "extend": Action("requests.decide", can_extend),
    "reject": Action("requests.decide", can_reject),
    "close": Action("requests.decide", can_close_unverified),
    "withdraw": Action("requests.decide", can_withdraw),
    "assign": Action("requests.decide", can_assign),
    "build-answer": Action("requests.decide", can_build_answer),
    "transmission": Action("requests.decide", can_decide_transmission),
    "change-received": Action("requests.enter", can_change_received),
    "propose-erasure": Action("requests.propose", can_propose_erasure),
    "confirm-erasure": Action("requests.decide", can_confirm_erasure),
    "cancel-erasure": Action("requests.propose", can_cancel_erasure),
}
