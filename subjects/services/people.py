"""Writes to people: every change validates, writes and audits in one transaction.

Forms, the admin, management commands and the API all call these functions. They raise
`django.core.exceptions.ValidationError` with a dict keyed by field name, so a form can put
each message next to its field. Audit details carry field NAMES only, never values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import Any, Unpack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import Actor, record_event
from core.timeutil import legal_date, legal_today
from subjects import guards, hooks
from subjects.fields import PERSON_FIELD_NAMES, PersonFields
from subjects.models import DataSubject, KindChange
from subjects.services.common import add_error, check_fields, user_of

SUBJECT_FIELDS = frozenset(PERSON_FIELD_NAMES)


def normalise(fields: Mapping[str, Any]) -> dict[str, Any]:
    clean = dict(fields)
    for name in ("first_name", "last_name", "position"):
        if name in clean:
            clean[name] = (clean[name] or "").strip()
    for name in ("work_email", "work_phone", "work_address"):
        if name in clean:
            value = (clean[name] or "").strip()
            clean[name] = value or None
    if clean.get("work_email"):
        clean["work_email"] = clean["work_email"].lower()
    if "photo" in clean and clean["photo"] is not None:
        clean["photo"] = bytes(clean["photo"]) or None
    if "country" in clean:
        clean["country"] = (str(clean["country"] or "")).upper()
    return clean


def email_refusals(emails: Collection[str]) -> dict[str, list[str]]:
    """What other apps refuse of these work e-mails (`subjects.hooks`; consent: an objector's
    address must not come back), asked once for the whole set."""
    refusals: dict[str, list[str]] = {}
    for check in hooks.email_checks:
        for email, messages in check(emails).items():
            refusals.setdefault(email, []).extend(messages)
    return refusals


def taken_email_error() -> str:
    return _("Another person already has this work e-mail; open their record instead.")


def work_email_errors(email: str | None, *, subject: DataSubject | None = None) -> list[str]:
    """The one place a work e-mail is checked before it is stored (a bulk upsert asks the
    same two questions of a whole batch at once: `subjects.services.bulk`)."""
    if not email:
        return []
    others = DataSubject.objects.active().with_email(email)
    if subject is not None:
        others = others.exclude(pk=subject.pk)
    if others.exists():
        return [taken_email_error()]
    return email_refusals([email]).get(email, [])


def date_of_birth_errors(born: dt.date | None, *, today: dt.date) -> list[str]:
    if born is None:
        return []
    if born > today:
        return [_("The date of birth is in the future.")]
    if born.year < 1900:
        return [_("The date of birth is before 1900; check the year.")]
    return []


def minor_error(born: dt.date) -> str:
    # The platform is not offered to minors: nobody under 18 is stored; nothing is written
    # when refused.
    return _(
        "This person is under 18 (they turn 18 on %(date)s). The platform is not "
        "offered to minors, so the record is not stored."
    ) % {"date": guards.eighteenth_birthday(born).isoformat()}


def new_subject_errors(fields: Mapping[str, Any], *, today: dt.date) -> dict[str, list[str]]:
    """Everything a new person's data must satisfy that needs no query: a kind, a name or an
    e-mail, a plausible adult date of birth, nothing prospects do not get, a real photo.
    `create_subject` and the bulk upsert both ask it."""
    errors: dict[str, list[str]] = {}
    if not fields.get("kind"):
        add_error(errors, "kind", _("Choose the kind of data subject."))
    if not (fields.get("first_name") or fields.get("last_name") or fields.get("work_email")):
        add_error(errors, "last_name", _("Give at least a name or a work e-mail."))
    born = fields.get("date_of_birth")
    add_error(errors, "date_of_birth", date_of_birth_errors(born, today=today))
    if born and "date_of_birth" not in errors and not guards.is_adult(born, on=today):
        add_error(errors, "date_of_birth", minor_error(born))
    for field, message in guards.minimisation_errors(fields.get("kind", ""), dict(fields)).items():
        add_error(errors, field, message)
    if fields.get("photo"):
        add_error(errors, "photo", guards.photo_errors(fields["photo"]))
    return errors


def change_errors(
    changed: Mapping[str, Any], result: Mapping[str, Any], *, today: dt.date
) -> dict[str, list[str]]:
    """What a change to a stored person must satisfy that needs no query (`result`: their
    data once changed). `update_subject` and the bulk upsert both ask it."""
    errors: dict[str, list[str]] = {}
    if "date_of_birth" in changed:
        add_error(
            errors, "date_of_birth", date_of_birth_errors(changed["date_of_birth"], today=today)
        )
    if changed.get("photo"):
        add_error(errors, "photo", guards.photo_errors(changed["photo"]))
    for field, message in guards.minimisation_errors(result["kind"], dict(result)).items():
        add_error(errors, field, message)
    return errors


def model_errors(subject: DataSubject, errors: dict[str, list[str]]) -> None:
    """Field validators of the model (lengths, e-mail syntax, country codes, choices)."""
    try:
        subject.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            if field not in errors:
                add_error(errors, field, messages)


@transaction.atomic
def create_subject(
    *, actor: Actor, now: dt.datetime | None = None, **fields: Unpack[PersonFields]
) -> DataSubject:
    """Store a new data subject, refusing minors and data prospects do not get."""
    check_fields(fields, SUBJECT_FIELDS)
    given = normalise(fields)
    now = now or timezone.now()
    today = legal_today(now)
    errors = new_subject_errors(given, today=today)
    add_error(errors, "work_email", work_email_errors(given.get("work_email")))

    subject = DataSubject(**given)
    if subject.photo:
        subject.photo_content_type = guards.photo_content_type(subject.photo) or ""
    model_errors(subject, errors)
    if errors:
        raise ValidationError(errors)

    subject.created_at = now
    subject.save()
    for after_create in hooks.after_create:
        after_create(subjects=[subject], actor=actor)
    # The person has been of this kind since their data was collected.
    KindChange.objects.create(
        subject=subject,
        kind=subject.kind,
        changed_on=min(legal_date(subject.collected_at), today),
        recorded_at=now,
        actor=user_of(actor),
    )
    record_event(
        action="subject.created",
        actor=actor,
        target=subject,
        details={"fields": sorted(name for name, value in given.items() if value)},
    )
    return subject


@transaction.atomic
def update_subject(
    *,
    subject: DataSubject,
    actor: Actor,
    kind_changed_on: dt.date | None = None,
    now: dt.datetime | None = None,
    **fields: Unpack[PersonFields],
) -> DataSubject:
    """Correct or complete a subject's data.

    A kind change is recorded as a `KindChange` dated `kind_changed_on` (default: today),
    never an overwrite of history. A corrected date of birth that reveals a minor is stored
    (refusing the correction would keep a false date) and flags the record for erasure.
    """
    check_fields(fields, SUBJECT_FIELDS)
    given = normalise(fields)
    now = now or timezone.now()
    today = legal_today(now)
    subject = DataSubject.objects.select_for_update().get(pk=subject.pk)
    if subject.anonymised_at is not None:
        raise ValidationError(_("This person has been anonymised; their record cannot change."))

    changed = {name: value for name, value in given.items() if getattr(subject, name) != value}
    if not changed:
        return subject
    result = {name: getattr(subject, name) for name in SUBJECT_FIELDS} | changed
    errors = change_errors(changed, result, today=today)
    if "work_email" in changed:
        add_error(errors, "work_email", work_email_errors(changed["work_email"], subject=subject))

    previous_kind = subject.kind
    if "kind" in changed:
        changed_on = kind_changed_on or today
        last = subject.kind_history.order_by("-changed_on", "-id").first()
        if changed_on > today:
            add_error(errors, "kind", _("A kind change cannot be dated in the future."))
        elif last is not None and changed_on < last.changed_on:
            add_error(
                errors,
                "kind",
                _("The previous kind change is dated %(date)s; a new one cannot be earlier.")
                % {"date": last.changed_on.isoformat()},
            )

    for name, value in changed.items():
        setattr(subject, name, value)
    if "photo" in changed:
        subject.photo_content_type = (
            guards.photo_content_type(subject.photo) or "" if subject.photo else ""
        )
    model_errors(subject, errors)
    if errors:
        raise ValidationError(errors)

    born = subject.date_of_birth
    revealed_minor = (
        "date_of_birth" in changed and born is not None and not guards.is_adult(born, on=today)
    )
    if revealed_minor:
        subject.flagged_for_erasure_at = now
        subject.erasure_flag_reason = "date of birth corrected: under 18"
    subject.save()

    if "kind" in changed:
        KindChange.objects.create(
            subject=subject,
            kind=subject.kind,
            previous_kind=previous_kind,
            changed_on=kind_changed_on or today,
            recorded_at=now,
            actor=user_of(actor),
        )
    record_event(
        action="subject.updated", actor=actor, target=subject, details={"fields": sorted(changed)}
    )
    if revealed_minor:
        # A minor's data is not kept, not even under a false date; the DPO erases it through
        # retention.
        record_event(
            action="subject.flagged_for_erasure",
            actor=actor,
            target=subject,
            details={"reason": "under 18"},
        )
    return subject
