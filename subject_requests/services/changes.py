"""Rectification (GDPR Art. 16), restriction (Art. 18) and objection (Art. 21) carried out
from the request, for one matched person at a time. Each goes through the owning app's service
(`subjects.services.update_subject`, `restrict_processing`, the consent ledger's objection),
is recorded as a `RightAction` — a rectification with its before and after, encrypted — and is
passed on to the systems outside the portal that hold the person's data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation

from consent.models import EventKind
from consent.services import log_withdrawal_or_objection
from core.audit import Actor
from processing.models import DataCategory, Purpose
from subject_requests import guards
from subject_requests.choices import ActionKind, Channel, EntryKind, Operation
from subject_requests.models import RightAction, SubjectRequest
from subject_requests.services import systems
from subject_requests.services.common import (
    RequestError,
    actor_fields,
    add_entry,
    audit,
    lock,
    refuse_unless_allowed,
    require,
    send_letter,
    staff_label,
)
from subject_requests.services.workflow import begin_work
from subject_requests.words import field_label
from subjects.models import DataSubject, RestrictionGround
from subjects.services import (
    announce_restriction_lift,
    lift_restriction,
    restrict_processing,
    update_subject,
)

# What a rectification may correct: the person's own data, not how we came to hold it.
RECTIFIABLE = (
    "first_name",
    "last_name",
    "date_of_birth",
    "work_address",
    "work_phone",
    "work_email",
    "organisation",
    "position",
    "country",
    "preferred_language",
)


def _field_words(names: Iterable[str]) -> str:
    """The fields in the staff's words (a timeline is for staff, whoever's action wrote it)."""
    with translation.override(settings.LANGUAGE_CODE):
        return ", ".join(field_label(name) for name in sorted(names))


def _matched(request: SubjectRequest, subject: DataSubject) -> DataSubject:
    person = request.subjects.filter(pk=subject.pk, anonymised_at__isnull=True).first()
    if person is None:
        raise RequestError("Act only on a person matched to the request whose data is still held.")
    return person


def _errors(exc: ValidationError) -> RequestError:
    return RequestError(" ".join(exc.messages))


def _record(
    request: SubjectRequest,
    *,
    subject: DataSubject,
    kind: str,
    actor: Actor,
    now: dt.datetime,
    details: dict[str, Any],
    summary: str,
) -> RightAction:
    user = actor_fields(actor)["actor"]
    action = RightAction.objects.create(
        request=request,
        subject=subject,
        kind=kind,
        proposed_by=user,
        proposed_at=now,
        done_by=user,
        done_at=now,
        details=details,
    )
    add_entry(request, kind=EntryKind.NOTE, actor=actor, now=now, summary=summary)
    audit(f"request.{kind}", actor=actor, request=request, subject=subject.pk)
    return action


def _value(value: Any) -> Any:
    """A value as the diff stores and shows it."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "pk"):
        return str(value)
    return str(value)


def rectification_diff(subject: DataSubject, fields: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for each field the correction changes."""
    diff = {}
    for name in RECTIFIABLE:
        if name not in fields:
            continue
        before, after = _value(getattr(subject, name)), _value(fields[name])
        if before != after:
            diff[name] = [before, after]
    return diff


def categories_of(field_names: Iterable[str]) -> list[str]:
    """The register's data categories (`DataCategory.fields`) the fields belong to."""
    names = set(field_names)
    return [c.code for c in DataCategory.objects.order_by("id") if names & set(c.field_names)]


@transaction.atomic
def rectify(
    *,
    request: SubjectRequest,
    subject: DataSubject,
    fields: dict[str, Any],
    actor: Actor,
    now: dt.datetime | None = None,
) -> RightAction:
    """Correct the person's data through `update_subject` (its checks, encryption, audit) and
    keep the before and after for the systems holding the changed categories."""
    require(actor, "requests.decide")
    now = now or timezone.now()
    request = lock(request)
    refuse_unless_allowed(guards.can_act(request, ActionKind.RECTIFICATION))
    person = _matched(request, subject)
    unknown = set(fields) - set(RECTIFIABLE)
    if unknown:
        raise RequestError(f"Not correctable here: {', '.join(sorted(unknown))}.")
    diff = rectification_diff(person, fields)
    if not diff:
        raise RequestError("Nothing changes: correct at least one value.")
    begin_work(request, actor=actor, now=now)
    # The systems find the person by what they hold: the values before the correction.
    identifiers = systems.identifiers_of(person)
    # A refused value raises `update_subject`'s ValidationError, naming its field.
    update_subject(subject=person, actor=actor, now=now, **{k: fields[k] for k in diff})
    categories = categories_of(diff)
    action = _record(
        request,
        subject=person,
        kind=ActionKind.RECTIFICATION,
        actor=actor,
        now=now,
        details={"changes": diff, "categories": categories},
        summary=f"Rectified: {_field_words(diff)}",
    )
    systems.dispatch_action(
        action,
        identifiers=identifiers,
        categories=categories,
        extra={"changes": diff},
        actor=actor,
        now=now,
    )
    return action


@transaction.atomic
def restrict(
    *,
    request: SubjectRequest,
    subject: DataSubject,
    ground: str,
    actor: Actor,
    note: str = "",
    now: dt.datetime | None = None,
) -> RightAction:
    require(actor, "requests.decide")
    now = now or timezone.now()
    request = lock(request)
    refuse_unless_allowed(guards.can_act(request, ActionKind.RESTRICTION))
    person = _matched(request, subject)
    if person.restricted_at is not None:
        raise RequestError("This person's processing is already restricted.")
    begin_work(request, actor=actor, now=now)
    try:
        restrict_processing(subject=person, ground=ground, note=note, actor=actor, now=now)
    except ValidationError as exc:
        raise _errors(exc) from exc
    action = _record(
        request,
        subject=person,
        kind=ActionKind.RESTRICTION,
        actor=actor,
        now=now,
        details={"ground": ground},
        summary=f"Processing restricted (Art. 18(1)): {staff_label(RestrictionGround(ground))}",
    )
    systems.dispatch_action(
        action,
        identifiers=systems.identifiers_of(person),
        extra={"ground": ground},
        actor=actor,
        now=now,
    )
    return action


@transaction.atomic
def announce_lift(
    *, request: SubjectRequest, subject: DataSubject, actor: Actor, now: dt.datetime | None = None
) -> SubjectRequest:
    """Art. 18(3): the person is told before the restriction is lifted (the letter goes now)."""
    require(actor, "requests.decide")
    now = now or timezone.now()
    request = lock(request)
    refuse_unless_allowed(guards.can_act(request, ActionKind.RESTRICTION_LIFT))
    person = _matched(request, subject)
    if person.restricted_at is None:
        raise RequestError("This person's processing is not restricted.")
    if person.restriction_lift_announced_at is not None:
        raise RequestError("The lifting is already announced.")
    announce_restriction_lift(subject=person, actor=actor, now=now)
    send_letter(
        request,
        letter="restriction_lift",
        actor=actor,
        now=now,
        summary="Letter: the restriction will be lifted (Art. 18(3))",
    )
    audit("request.restriction_lift_announced", actor=actor, request=request, subject=person.pk)
    return request


@transaction.atomic
def lift(
    *, request: SubjectRequest, subject: DataSubject, actor: Actor, now: dt.datetime | None = None
) -> RightAction:
    require(actor, "requests.decide")
    now = now or timezone.now()
    request = lock(request)
    refuse_unless_allowed(guards.can_act(request, ActionKind.RESTRICTION_LIFT))
    person = _matched(request, subject)
    ground = person.restriction_ground
    try:
        lift_restriction(subject=person, actor=actor, now=now)
    except ValidationError as exc:
        raise _errors(exc) from exc
    action = _record(
        request,
        subject=person,
        kind=ActionKind.RESTRICTION_LIFT,
        actor=actor,
        now=now,
        details={"ground": ground},
        summary="Restriction lifted after the person was told (Art. 18(3))",
    )
    systems.dispatch_action(
        action, identifiers=systems.identifiers_of(person), actor=actor, now=now
    )
    return action


def objection_purposes(request: SubjectRequest, subject: DataSubject) -> list[Purpose]:
    """What the objection can cover for this person: every direct-marketing purpose (Art.
    21(2) — consent-based ones are withdrawn), or the legitimate-interest purposes other than
    marketing (Art. 21(1))."""
    from processing.selectors import purposes_to_withdraw_or_object

    marketing = request.type == "objection_marketing"
    return [
        p
        for p in purposes_to_withdraw_or_object(subject)
        if p.is_direct_marketing == marketing and (marketing or p.is_legitimate_interest)
    ]


# The consent ledger's channel for the way the request arrived.
CHANNEL_OF_REQUEST: dict[str, str] = {
    Channel.WEB: "web_form",
    Channel.EMAIL: "email",
    Channel.LETTER: "letter",
    Channel.PHONE: "phone",
    Channel.API: "api",
    Channel.SELF_SERVICE: "self_service",
}


@transaction.atomic
def object_from_request(
    *,
    request: SubjectRequest,
    subject: DataSubject,
    purposes: list[Purpose],
    actor: Actor,
    now: dt.datetime | None = None,
) -> RightAction:
    """Art. 21(2) through the consent ledger: marketing stops at once, the address is
    suppressed, a prospect is erased. Art. 21(1): the DPO's balancing review opens and the
    person's processing stays restricted until it is decided."""
    require(actor, "requests.decide")
    now = now or timezone.now()
    request = lock(request)
    refuse_unless_allowed(guards.can_act(request, ActionKind.OBJECTION))
    person = _matched(request, subject)
    allowed = {p.pk for p in objection_purposes(request, person)}
    if not purposes or any(p.pk not in allowed for p in purposes):
        raise RequestError("Choose the purposes the objection covers, from those offered.")
    begin_work(request, actor=actor, now=now)
    # A prospect's objection erases them: the systems need what finds them, read before.
    identifiers = systems.identifiers_of(person)
    try:
        # Effective from the request's receipt: the person objected when they wrote.
        outcome = log_withdrawal_or_objection(
            subject=person,
            purposes=purposes,
            channel=CHANNEL_OF_REQUEST.get(request.channel, "email"),
            actor=actor,
            occurred_at=request.received_at,
            note=f"Request {request.reference}",
            now=now,
        )
    except ValidationError as exc:
        raise _errors(exc) from exc
    reviews = [e.objection_review.pk for e in outcome.events if hasattr(e, "objection_review")]
    action = _record(
        request,
        subject=person,
        kind=ActionKind.OBJECTION,
        actor=actor,
        now=now,
        details={
            "purposes": [p.code for p in purposes],
            "reviews": reviews,
            "marketing": request.type == "objection_marketing",
            "prospect": person.is_prospect,
        },
        summary=f"Objection recorded for {', '.join(p.name for p in purposes)}",
    )
    marketing = [
        e for e in outcome.events if e.kind == EventKind.OBJECTED and e.purpose.is_direct_marketing
    ]
    if person.is_prospect and marketing:
        # The ledger erases an objecting prospect after commit (Art. 21(2), 17(1)(c)): as for
        # an erasure, every system erases its copy and every recipient is told (Art. 19) —
        # sent when the erasure runs (`systems.release_waiting`), or when a hold is lifted.
        systems.dispatch(
            request,
            person=person,
            operation=Operation.ERASE,
            categories=systems.every_category(),
            identifiers=identifiers,
            actor=actor,
            now=now,
            action=action,
            waiting=True,
        )
    return action
