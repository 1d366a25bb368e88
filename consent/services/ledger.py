"""Writes to the consent ledger: grants, withdrawals, objections and unsubscribes.

Every function validates, writes the ledger row and its audit event in one transaction. The
staff page, the unsubscribe link, the subscription page, the admin and the API all call these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from consent.models import (
    Channel,
    ConsentEvent,
    ConsentEvidence,
    EventKind,
    ObjectionReview,
    PolicyVersion,
)
from consent.selectors import consent_state
from consent.services.objections import (
    actor_label,
    restrict_for_review,
    suppress_email,
    user_of,
)
from core.audit import Actor, record_event
from core.timeutil import legal_date
from processing.models import Purpose
from subjects.models import DataSubject

# A grant dated a little before "now" is clock skew between a form and the server, not a
# back-dated grant; anything earlier would manufacture a past lawful basis.
GRANT_CLOCK_SKEW = dt.timedelta(minutes=2)
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
STAFF_EVIDENCE_CHANNELS = {Channel.EMAIL, Channel.PHONE, Channel.LETTER, Channel.STAFF}


def policy_in_force(at: dt.datetime) -> PolicyVersion | None:
    return PolicyVersion.objects.in_force(on=legal_date(at)).first()


def _check_subject(subject: DataSubject) -> None:
    if subject.anonymised_at is not None:
        raise ValidationError(_("This person has been anonymised; nothing can be recorded."))


def _check_time(occurred_at: dt.datetime, now: dt.datetime) -> None:
    if timezone.is_naive(occurred_at):
        raise ValueError("occurred_at must be an aware datetime")
    if occurred_at > now + GRANT_CLOCK_SKEW:
        raise ValidationError(
            {"occurred_at": _("The time the person acted cannot be in the future.")}
        )


def _event_times(
    subject: DataSubject, *, occurred_at: dt.datetime | None, now: dt.datetime | None
) -> tuple[dt.datetime, dt.datetime]:
    """When a new ledger row happened and is recorded, once the person and time are valid."""
    now = now or timezone.now()
    occurred_at = occurred_at or now
    _check_subject(subject)
    _check_time(occurred_at, now)
    return occurred_at, now


def _evidence_file(upload: Any) -> tuple[bytes, str, str] | None:
    if upload is None:
        return None
    if upload.size > EVIDENCE_MAX_BYTES:
        raise ValidationError({"evidence_file": _("The evidence file is larger than 10 MB.")})
    # One upload may be the evidence of several events (a withdrawal of every purpose).
    upload.seek(0)
    content = upload.read()
    return content, (upload.name or "")[:200], (upload.content_type or "")[:100]


def _record(
    *,
    subject: DataSubject,
    purpose: Purpose,
    kind: str,
    channel: str,
    actor: Actor,
    occurred_at: dt.datetime,
    now: dt.datetime,
    wording: str = "",
    evidence_text: str = "",
    evidence_file: Any = None,
) -> ConsentEvent:
    event = ConsentEvent.objects.create(
        subject=subject,
        purpose=purpose,
        kind=kind,
        channel=channel,
        actor=user_of(actor),
        actor_label=actor_label(actor),
        wording=wording,
        policy_version=policy_in_force(occurred_at),
        occurred_at=occurred_at,
        recorded_at=now,
    )
    stored_file = _evidence_file(evidence_file)
    if evidence_text.strip() or stored_file:
        ConsentEvidence.objects.create(
            event=event,
            text=evidence_text.strip() or None,
            file=stored_file[0] if stored_file else None,
            file_name=stored_file[1] if stored_file else "",
            file_content_type=stored_file[2] if stored_file else "",
            created_at=now,
        )
    record_event(
        action=f"consent.{kind}",
        actor=actor,
        target=event,
        details={
            "subject": subject.pk,
            "purpose": purpose.code,
            "channel": channel,
            "backdated": (now - occurred_at) > GRANT_CLOCK_SKEW,
            "evidence": bool(evidence_text.strip() or stored_file),
        },
    )
    return event


def _require_consent_purpose(purpose: Purpose, message: str) -> None:
    """Grant and withdrawal exist only for consent-based purposes (Art. 6(1)(a), 7(3))."""
    if not purpose.is_consent_based:
        raise ValidationError({"purpose": message % {"purpose": purpose.name}})


@transaction.atomic
def grant_consent(
    *,
    subject: DataSubject,
    purpose: Purpose,
    channel: str,
    actor: Actor,
    wording: str,
    evidence_text: str = "",
    evidence_file: Any = None,
    occurred_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> ConsentEvent:
    """Record consent given now. A grant may not be back-dated: that would
    manufacture a past lawful basis."""
    occurred_at, now = _event_times(subject, occurred_at=occurred_at, now=now)
    _require_consent_purpose(purpose, _("%(purpose)s does not rest on consent; nothing to grant."))
    if occurred_at < now - GRANT_CLOCK_SKEW:
        raise ValidationError(
            {
                "occurred_at": _(
                    "Consent cannot be back-dated: a grant takes effect when it is "
                    "recorded, so no earlier processing becomes lawful by it."
                )
            }
        )
    if not wording.strip():
        raise ValidationError({"wording": _("Give the wording the person agreed to.")})
    if channel in STAFF_EVIDENCE_CHANNELS and not (evidence_text.strip() or evidence_file):
        raise ValidationError(
            {"evidence_text": _("Attach the evidence of consent: a note or the file.")}
        )
    return _record(
        subject=subject, purpose=purpose, kind=EventKind.GRANTED, channel=channel, actor=actor,
        occurred_at=occurred_at, now=now, wording=wording.strip(), evidence_text=evidence_text,
        evidence_file=evidence_file,
    )  # fmt: skip


@transaction.atomic
def withdraw_consent(
    *,
    subject: DataSubject,
    purpose: Purpose,
    channel: str,
    actor: Actor,
    evidence_text: str = "",
    evidence_file: Any = None,
    occurred_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> ConsentEvent:
    """Record a withdrawal; it may carry an earlier time (the e-mail came yesterday)."""
    occurred_at, now = _event_times(subject, occurred_at=occurred_at, now=now)
    _require_consent_purpose(
        purpose, _("%(purpose)s does not rest on consent: record an objection instead.")
    )
    return _record(
        subject=subject, purpose=purpose, kind=EventKind.WITHDRAWN, channel=channel, actor=actor,
        occurred_at=occurred_at, now=now, evidence_text=evidence_text,
        evidence_file=evidence_file,
    )  # fmt: skip


@transaction.atomic
def object_to_processing(
    *,
    subject: DataSubject,
    purpose: Purpose,
    channel: str,
    actor: Actor,
    evidence_text: str = "",
    evidence_file: Any = None,
    occurred_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> ConsentEvent:
    """An objection to legitimate-interest processing (GDPR Art. 21).

    Direct marketing (Art. 21(2)-(3)) is absolute: the address is suppressed and a prospect's
    data is erased (Art. 17(1)(c)) by the retention engine after commit. Any other purpose
    (Art. 21(1)) opens the DPO's balancing review and restricts processing meanwhile.
    """
    occurred_at, now = _event_times(subject, occurred_at=occurred_at, now=now)
    if not purpose.is_legitimate_interest:
        raise ValidationError(
            {
                "purpose": _(
                    "%(purpose)s does not rest on legitimate interest: an objection "
                    "does not apply (withdraw consent instead)."
                )
                % {"purpose": purpose.name}
            }
        )
    event = _record(
        subject=subject, purpose=purpose, kind=EventKind.OBJECTED, channel=channel, actor=actor,
        occurred_at=occurred_at, now=now, evidence_text=evidence_text,
        evidence_file=evidence_file,
    )  # fmt: skip
    if purpose.is_direct_marketing:
        if subject.work_email:
            suppress_email(
                email=subject.work_email,
                channel=channel,
                actor=actor,
                suppressed_on=legal_date(occurred_at),
                now=now,
            )
        if subject.is_prospect:
            from consent.tasks import erase_objecting_prospect_task

            subject_id = subject.pk
            transaction.on_commit(lambda: erase_objecting_prospect_task.delay(subject_id))
    else:
        restricted = restrict_for_review(subject, actor=actor, now=now)
        review = ObjectionReview.objects.create(
            event=event,
            subject=subject,
            purpose=purpose,
            opened_at=now,
            restricted_by_review=restricted,
        )
        record_event(
            action="consent.objection_review_opened",
            actor=actor,
            target=review,
            details={"purpose": purpose.code, "subject": subject.pk},
        )
    return event


@dataclass
class LogOutcome:
    events: list[ConsentEvent] = field(default_factory=list)
    unchanged: list[Purpose] = field(default_factory=list)


@transaction.atomic
def log_withdrawal_or_objection(
    *,
    subject: DataSubject,
    purposes: Iterable[Purpose],
    channel: str,
    actor: Actor,
    occurred_at: dt.datetime | None = None,
    note: str = "",
    evidence_file: Any = None,
    now: dt.datetime | None = None,
) -> LogOutcome:
    """What the staff page records: withdraw each consent purpose, object to each LI purpose.

    A purpose already withdrawn or objected to is left alone (nothing is recorded twice).
    """
    now = now or timezone.now()
    subject = DataSubject.objects.select_for_update().get(pk=subject.pk)
    outcome = LogOutcome()
    for purpose in purposes:
        state = consent_state(subject, purpose, now)
        common: dict[str, Any] = {
            "subject": subject, "purpose": purpose, "channel": channel, "actor": actor,
            "evidence_text": note, "evidence_file": evidence_file, "occurred_at": occurred_at,
            "now": now,
        }  # fmt: skip
        if purpose.is_consent_based and state.status == "granted":
            if occurred_at is not None and state.since is not None and occurred_at < state.since:
                # The person consented again after the message we are logging: a withdrawal
                # dated before that grant would change nothing, so say so instead.
                raise ValidationError(
                    {"occurred_at": _(
                        "%(purpose)s was granted again on %(date)s, after this time, so a "
                        "withdrawal dated earlier would not stop it. If the person wants it "
                        "stopped now, use the current time."
                    ) % {"purpose": purpose.name,
                         "date": timezone.localtime(state.since).strftime("%Y-%m-%d %H:%M")}}
                )  # fmt: skip
            outcome.events.append(withdraw_consent(**common))
        elif purpose.is_legitimate_interest and state.status == "not_objected":
            outcome.events.append(object_to_processing(**common))
        else:
            outcome.unchanged.append(purpose)
    return outcome


@transaction.atomic
def record_unsubscribe(
    *, subject_id: int, purpose_id: int, now: dt.datetime | None = None
) -> tuple[DataSubject | None, Purpose | None, ConsentEvent | None]:
    """The one-click link: a withdrawal (consent) or an objection (LI). Idempotent."""
    now = now or timezone.now()
    subject = DataSubject.objects.select_for_update().filter(pk=subject_id).first()
    purpose = Purpose.objects.filter(pk=purpose_id).first()
    if subject is None or purpose is None:
        return subject, purpose, None
    if subject.anonymised_at is not None:
        return subject, purpose, None
    outcome = log_withdrawal_or_objection(
        subject=subject,
        purposes=[purpose],
        channel=Channel.UNSUBSCRIBE_LINK,
        actor="unsubscribe-link",
        now=now,
    )
    return subject, purpose, (outcome.events[0] if outcome.events else None)
