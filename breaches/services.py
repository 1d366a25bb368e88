"""Writes to the breach register (GDPR Art. 33, 34): each refuses what the law refuses, writes
and audits in one transaction. The pages and the admin call these and nothing else."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from breaches.clock import is_late, notification_deadline
from breaches.models import (
    AffectedPerson,
    AuthorityDecision,
    Breach,
    BreachFollowUp,
    PeopleDecision,
)
from breaches.selectors import forget_running_clocks
from core.audit import Actor, record_event, user_of
from subjects.models import DataSubjectQuerySet

# The fields `record_breach` and `update_breach` take from a form (the categories apart).
BREACH_FIELDS = (
    "title",
    "aware_at",
    "occurred_at",
    "nature",
    "description",
    "subject_kinds",
    "approx_people",
    "approx_records",
    "consequences",
    "measures",
    "contact_point",
)


def _refuse_times(
    *, aware_at: dt.datetime, occurred_at: dt.datetime | None, now: dt.datetime
) -> None:
    errors: dict[str, list[str]] = {}
    if aware_at > now:
        errors["aware_at"] = [_("Awareness cannot be in the future.")]
    if occurred_at is not None and occurred_at > aware_at:
        errors["occurred_at"] = [_("The breach cannot have occurred after you became aware of it.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def record_breach(*, values: dict[str, Any], categories: Iterable[Any], actor: Actor) -> Breach:
    """Every breach is recorded, whether or not it is notified (Art. 33(5))."""
    now = timezone.now()
    _refuse_times(aware_at=values["aware_at"], occurred_at=values.get("occurred_at"), now=now)
    breach = Breach.objects.create(
        **{name: values[name] for name in BREACH_FIELDS if name in values},
        recorded_by=user_of(actor),
        created_at=now,
    )
    breach.categories.set(list(categories))
    record_event(
        action="breach.recorded",
        actor=actor,
        target=breach,
        details={
            "aware_at": breach.aware_at.isoformat(),
            "deadline": notification_deadline(breach.aware_at).isoformat(),
            "nature": breach.nature,
            "approx_people": breach.approx_people,
        },
    )
    forget_running_clocks()
    return breach


@transaction.atomic
def update_breach(
    *, breach: Breach, values: dict[str, Any], categories: Iterable[Any], actor: Actor
) -> Breach:
    _refuse_times(
        aware_at=values["aware_at"], occurred_at=values.get("occurred_at"), now=timezone.now()
    )
    changed = [name for name in BREACH_FIELDS if getattr(breach, name) != values.get(name)]
    for name in BREACH_FIELDS:
        setattr(breach, name, values.get(name))
    breach.save()
    breach.categories.set(list(categories))
    record_event(action="breach.updated", actor=actor, target=breach, details={"fields": changed})
    forget_running_clocks()
    return breach


@transaction.atomic
def decide_authority(*, breach: Breach, decision: str, reason: str, actor: Actor) -> Breach:
    """Notify, or record why not (Art. 33(1): unlikely to result in a risk; the decision and
    its reason are the documentation Art. 33(5) asks for)."""
    breach = Breach.objects.select_for_update().get(pk=breach.pk)
    if breach.notified_at is not None:
        raise ValidationError(_("The authority was already notified; add a follow-up instead."))
    if decision == AuthorityDecision.NOT_REQUIRED and not reason.strip():
        raise ValidationError({"reason": [_("Say why the breach is unlikely to be a risk.")]})
    breach.authority_decision = decision
    breach.authority_decision_reason = reason.strip()
    breach.save(update_fields=["authority_decision", "authority_decision_reason"])
    record_event(
        action="breach.authority_decided",
        actor=actor,
        target=breach,
        details={"decision": decision},
    )
    forget_running_clocks()
    return breach


@transaction.atomic
def record_notification(
    *, breach: Breach, notified_at: dt.datetime, reference: str, late_reason: str, actor: Actor
) -> Breach:
    """The supervisory authority was notified; after 72 hours only with the reasons for the
    delay (Art. 33(1))."""
    breach = Breach.objects.select_for_update().get(pk=breach.pk)
    if notified_at > timezone.now():
        raise ValidationError({"notified_at": [_("The notification cannot be in the future.")]})
    if notified_at < breach.aware_at:
        raise ValidationError(
            {"notified_at": [_("The notification cannot precede becoming aware of the breach.")]}
        )
    late = is_late(breach.aware_at, notified_at)
    if late and not late_reason.strip():
        raise ValidationError(
            {
                "late_reason": [
                    _(
                        "More than 72 hours passed since awareness: GDPR Art. 33(1) requires "
                        "the reasons for the delay."
                    )
                ]
            }
        )
    breach.authority_decision = AuthorityDecision.NOTIFY
    breach.notified_at = notified_at
    breach.authority_reference = reference.strip()
    breach.late_reason = late_reason.strip() if late else ""
    breach.save(
        update_fields=["authority_decision", "notified_at", "authority_reference", "late_reason"]
    )
    record_event(
        action="breach.notified",
        actor=actor,
        target=breach,
        details={"notified_at": notified_at.isoformat(), "late": late},
    )
    forget_running_clocks()
    return breach


@transaction.atomic
def add_follow_up(
    *, breach: Breach, information: str, sent_to_authority_at: dt.datetime | None, actor: Actor
) -> BreachFollowUp:
    """Information in phases (Art. 33(4)): numbered in order under the breach's lock."""
    breach = Breach.objects.select_for_update().get(pk=breach.pk)
    if not information.strip():
        raise ValidationError({"information": [_("Write the information of this phase.")]})
    phase = breach.follow_ups.count() + 1
    follow_up = BreachFollowUp.objects.create(
        breach=breach,
        phase=phase,
        information=information.strip(),
        sent_to_authority_at=sent_to_authority_at,
        recorded_by=user_of(actor),
    )
    record_event(action="breach.follow_up", actor=actor, target=breach, details={"phase": phase})
    return follow_up


@transaction.atomic
def decide_people(*, breach: Breach, decision: str, reason: str, actor: Actor) -> Breach:
    """Art. 34: inform the people when the risk to them is high; either way, say why."""
    if decision not in (PeopleDecision.INFORM, PeopleDecision.NOT_INFORM):
        raise ValidationError({"decision": [_("Choose whether to inform the people.")]})
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why: the decision is part of the record.")]})
    breach.people_decision = decision
    breach.people_decision_reason = reason.strip()
    breach.people_decided_at = timezone.now()
    breach.save(update_fields=["people_decision", "people_decision_reason", "people_decided_at"])
    record_event(
        action="breach.people_decided", actor=actor, target=breach, details={"decision": decision}
    )
    return breach


@transaction.atomic
def add_affected_people(
    *, breach: Breach, people: DataSubjectQuerySet, selection: str, actor: Actor
) -> int:
    """Add the people a selection finds (an organisation, a system, a filter), set-based;
    the audit event names the selection and the count, not the people."""
    existing = AffectedPerson.objects.filter(breach=breach).values("subject_id")
    ids = list(people.stored().exclude(pk__in=existing).values_list("pk", flat=True).order_by("pk"))
    now = timezone.now()
    AffectedPerson.objects.bulk_create(
        [AffectedPerson(breach=breach, subject_id=pk, added_at=now) for pk in ids],
        batch_size=2000,
    )
    record_event(
        action="breach.people_added",
        actor=actor,
        target=breach,
        details={"selection": selection, "added": len(ids)},
    )
    return len(ids)


@transaction.atomic
def close_breach(*, breach: Breach, actor: Actor) -> Breach:
    if breach.authority_decision == AuthorityDecision.PENDING:
        raise ValidationError(
            _("Decide first whether the authority is notified: every breach needs that decision.")
        )
    breach.closed_at = timezone.now()
    breach.save(update_fields=["closed_at"])
    record_event(action="breach.closed", actor=actor, target=breach)
    return breach
