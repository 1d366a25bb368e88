"""Restriction of processing (GDPR Art. 18): while it stands the data is only stored — no
marketing, no export but to the person, no purge unless a rule's legal end is reached. It is
lifted only after the person has been told (Art. 18(3)); the caller sends that notice."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import Actor, record_event
from subjects.models import DataSubject, RestrictionGround


def _locked(subject: DataSubject) -> DataSubject:
    locked = DataSubject.objects.select_for_update().get(pk=subject.pk)
    if locked.anonymised_at is not None:
        raise ValidationError(_("This person has been anonymised: nothing is left to restrict."))
    return locked


@transaction.atomic
def restrict_processing(
    *,
    subject: DataSubject,
    ground: str,
    actor: Actor,
    note: str = "",
    now: dt.datetime | None = None,
) -> DataSubject:
    """Restrict the person's processing on one of Art. 18(1)'s grounds. Restricting someone
    already restricted changes nothing (the first ground stands)."""
    if ground not in RestrictionGround.values:
        raise ValidationError({"ground": _("Choose the ground of the restriction (Art. 18(1)).")})
    subject = _locked(subject)
    if subject.restricted_at is not None:
        return subject
    subject.restricted_at = now or timezone.now()
    subject.restriction_ground = ground
    subject.restriction_reason = note.strip() or str(RestrictionGround(ground).label)
    subject.restriction_lift_announced_at = None
    subject.save(
        update_fields=[
            "restricted_at",
            "restriction_ground",
            "restriction_reason",
            "restriction_lift_announced_at",
            "updated_at",
        ]
    )
    record_event(
        action="subject.restricted", actor=actor, target=subject, details={"ground": ground}
    )
    return subject


@transaction.atomic
def announce_restriction_lift(
    *, subject: DataSubject, actor: Actor, now: dt.datetime | None = None
) -> DataSubject:
    """Record that the person has been told the restriction will be lifted (Art. 18(3))."""
    subject = _locked(subject)
    if subject.restricted_at is None:
        raise ValidationError(_("This person's processing is not restricted."))
    subject.restriction_lift_announced_at = now or timezone.now()
    subject.save(update_fields=["restriction_lift_announced_at", "updated_at"])
    record_event(action="subject.restriction_lift_announced", actor=actor, target=subject)
    return subject


@transaction.atomic
def lift_restriction(
    *,
    subject: DataSubject,
    actor: Actor,
    decided: bool = False,
    now: dt.datetime | None = None,
) -> DataSubject:
    """Lift the restriction, once the person has been told. `decided`: the balancing
    decision on their objection, which they receive, is itself that notice."""
    subject = _locked(subject)
    if subject.restricted_at is None:
        raise ValidationError(_("This person's processing is not restricted."))
    if not decided and subject.restriction_lift_announced_at is None:
        raise ValidationError(
            _("Tell the person first that the restriction will be lifted (GDPR Art. 18(3)).")
        )
    ground = subject.restriction_ground
    subject.restricted_at = None
    subject.restriction_ground = ""
    subject.restriction_reason = ""
    subject.restriction_lift_announced_at = None
    subject.save(
        update_fields=[
            "restricted_at",
            "restriction_ground",
            "restriction_reason",
            "restriction_lift_announced_at",
            "updated_at",
        ]
    )
    record_event(
        action="subject.restriction_lifted",
        actor=actor,
        target=subject,
        details={"ground": ground, "after": "decision" if decided else "notice"},
    )
    return subject
