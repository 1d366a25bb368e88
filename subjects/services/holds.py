"""Legal holds on people and organisations: a hold stops every purge and every erasure of
the holder's data until it is lifted (GDPR Art. 17(3)(e))."""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import Actor, record_event
from core.timeutil import legal_today
from subjects.models import DataSubject, LegalHold, Organisation
from subjects.services.common import user_of

# A person or an organisation: both carry the same legal-hold fields.
_Holder = TypeVar("_Holder", bound=LegalHold)


def _hold_errors(reason: str, review_on: dt.date | None, *, today: dt.date) -> dict[str, str]:
    errors = {}
    if not reason.strip():
        errors["legal_hold_reason"] = _("Say why the data must be kept.")
    if review_on is None:
        errors["legal_hold_review_on"] = _("Set a date to review the hold.")
    elif review_on <= today:
        errors["legal_hold_review_on"] = _("The review date must be in the future.")
    return errors


def _set_legal_hold(
    holder: _Holder, *, actor: Actor, reason: str, review_on: dt.date | None, action: str
) -> _Holder:
    errors = _hold_errors(reason, review_on, today=legal_today())
    if errors:
        raise ValidationError(errors)
    type(holder)._default_manager.filter(pk=holder.pk).update(
        legal_hold_reason=reason.strip(),
        legal_hold_set_by=user_of(actor),
        legal_hold_set_at=timezone.now(),
        legal_hold_review_on=review_on,
    )
    record_event(action=action, actor=actor, target=holder)
    holder.refresh_from_db()
    return holder


def _lift_legal_hold(holder: _Holder, *, actor: Actor, action: str, not_held: str) -> _Holder:
    if not holder.on_legal_hold:
        raise ValidationError(not_held)
    type(holder)._default_manager.filter(pk=holder.pk).update(
        legal_hold_reason="", legal_hold_set_by=None, legal_hold_set_at=None,
        legal_hold_review_on=None,
    )  # fmt: skip
    record_event(action=action, actor=actor, target=holder)
    holder.refresh_from_db()
    return holder


@transaction.atomic
def set_subject_legal_hold(
    *, subject: DataSubject, actor: Actor, reason: str, review_on: dt.date | None
) -> DataSubject:
    """A legal hold stops every purge of the person's data until it is lifted."""
    return _set_legal_hold(
        subject, actor=actor, reason=reason, review_on=review_on, action="subject.legal_hold_set"
    )


@transaction.atomic
def lift_subject_legal_hold(*, subject: DataSubject, actor: Actor) -> DataSubject:
    return _lift_legal_hold(
        subject,
        actor=actor,
        action="subject.legal_hold_lifted",
        not_held=_("This person is not on legal hold."),
    )


@transaction.atomic
def set_organisation_legal_hold(
    *, organisation: Organisation, actor: Actor, reason: str, review_on: dt.date | None
) -> Organisation:
    return _set_legal_hold(
        organisation,
        actor=actor,
        reason=reason,
        review_on=review_on,
        action="organisation.legal_hold_set",
    )


@transaction.atomic
def lift_organisation_legal_hold(*, organisation: Organisation, actor: Actor) -> Organisation:
    return _lift_legal_hold(
        organisation,
        actor=actor,
        action="organisation.legal_hold_lifted",
        not_held=_("This organisation is not on legal hold."),
    )
