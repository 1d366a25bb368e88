"""A right that acts on data, refused for one matched person with the DPO's reasons (GDPR
Art. 12(4)): an erasure the law does not allow, a correction the DPO finds inaccurate, an
objection outside Art. 21. The refusal is that person's answer: the request completes only
once every matched person's action was carried out or refused, and the letter gives each
reason."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from core.audit import Actor
from subject_requests import guards
from subject_requests.choices import ACTIONS_FOR_TYPE, ActionStatus, EntryKind
from subject_requests.models import RightAction, SubjectRequest
from subject_requests.services.common import (
    RequestError,
    actor_fields,
    add_entry,
    audit,
    lock,
    refuse_unless_allowed,
    require,
)
from subject_requests.services.workflow import begin_work

REASON_MAX_LENGTH = 2000


@transaction.atomic
def refuse_action(
    *,
    request: SubjectRequest,
    subject_id: int,
    reason: str,
    actor: Actor,
    now: dt.datetime | None = None,
) -> RightAction:
    require(actor, "requests.decide")
    reason = reason.strip()
    if not reason:
        raise RequestError("Give your reasons: the requester receives them (Art. 12(4)).")
    if len(reason) > REASON_MAX_LENGTH:
        raise RequestError(f"Keep the reasons under {REASON_MAX_LENGTH} characters.")
    now = now or timezone.now()
    request = lock(request)
    refuse_unless_allowed(guards.can_refuse_action(request, now))
    person = request.subjects.filter(pk=subject_id).first()
    if person is None:
        raise RequestError("Refuse only for a person linked to the request.")
    if person not in guards.people_not_acted_on(request):
        raise RequestError("This person's answer is already given: carried out or refused.")
    kind = ACTIONS_FOR_TYPE[request.type][0]
    begin_work(request, actor=actor, now=now)
    user = actor_fields(actor)["actor"]
    action = RightAction.objects.create(
        request=request,
        subject=person,
        kind=kind,
        status=ActionStatus.REFUSED,
        proposed_by=user,
        proposed_at=now,
        done_by=user,
        done_at=now,
        note=reason,
    )
    add_entry(
        request,
        kind=EntryKind.NOTE,
        actor=actor,
        now=now,
        summary="Refused for one person, with reasons (Art. 12(4))",
        body=reason,
    )
    audit("request.action_refused", actor=actor, request=request, subject=person.pk, kind=kind)
    return action
