"""What follows an objection: the suppression list, the restriction while the DPO weighs an
Art. 21(1) objection and the decision, the erasure of an objecting prospect (Art. 17(1)(c)),
and the DPO's choice for suppressed re-imports. Each writes and audits in one transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from consent.models import (
    ConsentSettings,
    ObjectionReview,
    ReviewStatus,
    SuppressedImport,
    SuppressionEntry,
)
from core.audit import Actor, record_event
from core.crypto import blind_index
from core.timeutil import legal_today
from subjects.models import DataSubject, RestrictionGround
from subjects.services import (
    SubjectsOnLegalHold,
    anonymise_subjects,
    lift_restriction,
    restrict_processing,
)

RESTRICTION_REASON = "Art. 21(1) objection awaiting the DPO's balancing decision"


def user_of(actor: Actor) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def actor_label(actor: Actor) -> str:
    return actor if isinstance(actor, str) else ""


@transaction.atomic
def suppress_email(
    *,
    email: str,
    channel: str,
    actor: Actor,
    suppressed_on: dt.date | None = None,
    now: dt.datetime | None = None,
) -> SuppressionEntry | None:
    """Keep only a keyed hash of the address so it is never imported or mailed again.

    Returns None when the address is already suppressed (nothing to add).
    """
    now = now or timezone.now()
    index = blind_index(email)
    if not index:
        raise ValidationError({"email": _("Give the e-mail address to suppress.")})
    if SuppressionEntry.objects.filter(email_index=index).exists():
        return None
    entry = SuppressionEntry.objects.create(
        email_index=index,
        suppressed_on=suppressed_on or legal_today(now),
        channel=channel,
        recorded_at=now,
        actor=user_of(actor),
        actor_label=actor_label(actor),
    )
    record_event(
        action="consent.suppressed",
        actor=actor,
        target=entry,
        details={"channel": channel},
    )
    return entry


def restrict_for_review(subject: DataSubject, *, actor: Actor, now: dt.datetime) -> bool:
    """Art. 18(1)(d): processing is restricted while the DPO weighs an Art. 21(1) objection.
    False when the person was already restricted (on another ground, which stands)."""
    if subject.restricted_at is not None:
        return False
    restrict_processing(
        subject=subject,
        ground=RestrictionGround.OBJECTION_PENDING,
        note=RESTRICTION_REASON,
        actor=actor,
        now=now,
    )
    return True


def erase_objecting_prospect(*, subject_id: int) -> int:
    """Art. 17(1)(c): erase an objecting prospect with the people's erasure. Idempotent."""
    subject = DataSubject.objects.filter(pk=subject_id).first()
    if subject is None or subject.anonymised_at is not None or not subject.is_prospect:
        return 0
    try:
        return anonymise_subjects(
            subject_ids=[subject_id],
            actor="consent: objection to direct marketing",
            reason="GDPR Art. 21(2)-(3), Art. 17(1)(c): objection to direct marketing",
            cause="objection",
        )
    except SubjectsOnLegalHold:
        # Art. 17(3)(e): a legal hold keeps the data; the objection and suppression still
        # stop all marketing. The DPO sees the event and erases when the hold is lifted.
        record_event(
            action="consent.erasure_blocked_by_legal_hold",
            actor="consent: objection to direct marketing",
            target=subject,
        )
        return 0


@transaction.atomic
def decide_objection(
    *,
    review: ObjectionReview,
    actor: Actor,
    upheld: bool,
    reasoning: str,
    now: dt.datetime | None = None,
) -> ObjectionReview:
    """GDPR Art. 21(1): processing stops unless compelling legitimate grounds override."""
    now = now or timezone.now()
    review = ObjectionReview.objects.select_for_update().get(pk=review.pk)
    if review.status != ReviewStatus.OPEN:
        raise ValidationError(_("This objection has already been decided."))
    if not reasoning.strip():
        raise ValidationError({"reasoning": _("Write down the balancing: why you decide so.")})
    review.status = ReviewStatus.UPHELD if upheld else ReviewStatus.REJECTED
    review.decided_at = now
    review.decided_by = user_of(actor)
    review.reasoning = reasoning.strip()
    review.save()
    record_event(
        action="consent.objection_decided",
        actor=actor,
        target=review,
        details={"status": review.status, "purpose": review.purpose.code},
    )
    still_open = ObjectionReview.objects.open().filter(
        subject_id=review.subject_id, restricted_by_review=True
    )
    if review.restricted_by_review and not still_open.exists():
        subject = DataSubject.objects.get(pk=review.subject_id)
        if subject.restriction_ground == RestrictionGround.OBJECTION_PENDING:
            # The decision, which the person receives, is the notice of Art. 18(3).
            lift_restriction(subject=subject, actor=actor, decided=True, now=now)
    return review


@transaction.atomic
def set_suppressed_import_policy(*, actor: Actor, on_suppressed_import: str) -> ConsentSettings:
    if on_suppressed_import not in SuppressedImport.values:
        raise ValidationError({"on_suppressed_import": _("Choose refuse or flag.")})
    row = ConsentSettings.load()
    if row.on_suppressed_import == on_suppressed_import:
        return row
    row.on_suppressed_import = on_suppressed_import
    row.save()
    record_event(
        action="consent.settings_changed",
        actor=actor,
        target=row,
        details={"on_suppressed_import": on_suppressed_import},
    )
    return row
