"""Writes to subjects: every change validates, writes and audits in one transaction.

Forms, the admin, management commands and the API all call these functions. They raise
`django.core.exceptions.ValidationError` with a dict keyed by field name, so a form can put
each message next to its field. Audit details carry field NAMES only, never values.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import Actor, record_event, record_events_bulk
from core.timeutil import legal_date, legal_today
from subjects import guards
from subjects.models import (
    DataSubject,
    KindChange,
    LegalHold,
    Organisation,
    OrganisationStatus,
    SubjectKind,
    Trial,
)

# What create_subject/update_subject accept. Flags (restriction, erasure, anonymisation,
# legal hold) have their own services so each is audited under its own action.
SUBJECT_FIELDS = frozenset(
    {
        "kind",
        "first_name",
        "last_name",
        "date_of_birth",
        "photo",
        "work_address",
        "work_phone",
        "work_email",
        "organisation",
        "position",
        "country",
        "preferred_language",
        "source",
        "collected_at",
        "informed_at",
    }
)
ORGANISATION_FIELDS = frozenset(
    {"name", "registry_code", "country", "status", "contract_started_on", "contract_ended_on"}
)

# A prospect's company becoming a paying client turns its people into client people.
KIND_ON_CONVERSION = {
    SubjectKind.PROSPECT: SubjectKind.CLIENT,
    SubjectKind.PROSPECT_REPRESENTATIVE: SubjectKind.CLIENT_REPRESENTATIVE,
}

# A person or an organisation: both carry the same legal-hold fields.
_Holder = TypeVar("_Holder", bound=LegalHold)


def _user(actor: Actor) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _check_fields(fields: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        # A programming error, not bad input: fail loudly.
        raise TypeError(f"Unknown fields: {', '.join(sorted(unknown))}")


def _normalise(fields: dict[str, Any]) -> dict[str, Any]:
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


def work_email_errors(email: str | None, *, subject: DataSubject | None = None) -> list[str]:
    """The one place a work e-mail is checked before it is stored.

    Consent adds its suppression check here (an objector's e-mail must not come back).
    """
    if not email:
        return []
    others = DataSubject.objects.active().with_email(email)
    if subject is not None:
        others = others.exclude(pk=subject.pk)
    if others.exists():
        return [_("Another person already has this work e-mail; open their record instead.")]
    from consent.suppression import suppression_errors

    return suppression_errors(email)


def _date_of_birth_errors(born: dt.date | None, *, today: dt.date) -> list[str]:
    if born is None:
        return []
    if born > today:
        return [_("The date of birth is in the future.")]
    if born.year < 1900:
        return [_("The date of birth is before 1900; check the year.")]
    return []


def _add(errors: dict[str, list[str]], field: str, messages: list[str] | str) -> None:
    if isinstance(messages, str):
        messages = [messages]
    if messages:
        errors.setdefault(field, []).extend(messages)


def _model_errors(subject: DataSubject, errors: dict[str, list[str]]) -> None:
    """Field validators of the model (lengths, e-mail syntax, country codes, choices)."""
    try:
        subject.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            if field not in errors:
                _add(errors, field, messages)


@transaction.atomic
def create_subject(*, actor: Actor, now: dt.datetime | None = None, **fields: Any) -> DataSubject:
    """Store a new data subject, refusing minors and data prospects do not get."""
    _check_fields(fields, SUBJECT_FIELDS)
    fields = _normalise(fields)
    now = now or timezone.now()
    today = legal_today(now)
    errors: dict[str, list[str]] = {}

    if not fields.get("kind"):
        _add(errors, "kind", _("Choose the kind of data subject."))
    if not (fields.get("first_name") or fields.get("last_name") or fields.get("work_email")):
        _add(errors, "last_name", _("Give at least a name or a work e-mail."))
    _add(errors, "work_email", work_email_errors(fields.get("work_email")))

    born = fields.get("date_of_birth")
    _add(errors, "date_of_birth", _date_of_birth_errors(born, today=today))
    # DOMAIN.md A: nobody under 18 is stored; nothing is written when refused.
    if born and "date_of_birth" not in errors and not guards.is_adult(born, on=today):
        _add(
            errors,
            "date_of_birth",
            _(
                "This person is under 18 (they turn 18 on %(date)s). The platform is not "
                "offered to minors, so the record is not stored."
            )
            % {"date": guards.eighteenth_birthday(born).isoformat()},
        )
    for field, message in guards.minimisation_errors(fields.get("kind", ""), fields).items():
        _add(errors, field, message)
    if fields.get("photo"):
        _add(errors, "photo", guards.photo_errors(fields["photo"]))

    subject = DataSubject(**fields)
    if subject.photo:
        subject.photo_content_type = guards.photo_content_type(subject.photo) or ""
    _model_errors(subject, errors)
    if errors:
        raise ValidationError(errors)

    subject.created_at = now
    subject.save()
    from consent.suppression import flag_if_suppressed

    flag_if_suppressed(subject=subject, actor=actor)
    # The person has been of this kind since their data was collected.
    KindChange.objects.create(
        subject=subject,
        kind=subject.kind,
        changed_on=min(legal_date(subject.collected_at), today),
        recorded_at=now,
        actor=_user(actor),
    )
    record_event(
        action="subject.created",
        actor=actor,
        target=subject,
        details={"fields": sorted(name for name, value in fields.items() if value)},
    )
    return subject


@transaction.atomic
def update_subject(
    *,
    subject: DataSubject,
    actor: Actor,
    kind_changed_on: dt.date | None = None,
    now: dt.datetime | None = None,
    **fields: Any,
) -> DataSubject:
    """Correct or complete a subject's data.

    A kind change is recorded as a `KindChange` dated `kind_changed_on` (default: today),
    never an overwrite of history. A corrected date of birth that reveals a minor is stored
    (refusing the correction would keep a false date) and flags the record for erasure.
    """
    _check_fields(fields, SUBJECT_FIELDS)
    fields = _normalise(fields)
    now = now or timezone.now()
    today = legal_today(now)
    subject = DataSubject.objects.select_for_update().get(pk=subject.pk)
    if subject.anonymised_at is not None:
        raise ValidationError(_("This person has been anonymised; their record cannot change."))

    changed = {name: value for name, value in fields.items() if getattr(subject, name) != value}
    if not changed:
        return subject
    errors: dict[str, list[str]] = {}
    result = {name: getattr(subject, name) for name in SUBJECT_FIELDS} | changed

    if "work_email" in changed:
        _add(errors, "work_email", work_email_errors(changed["work_email"], subject=subject))
    if "date_of_birth" in changed:
        _add(errors, "date_of_birth", _date_of_birth_errors(changed["date_of_birth"], today=today))
    if changed.get("photo"):
        _add(errors, "photo", guards.photo_errors(changed["photo"]))
    for field, message in guards.minimisation_errors(result["kind"], result).items():
        _add(errors, field, message)

    previous_kind = subject.kind
    if "kind" in changed:
        changed_on = kind_changed_on or today
        last = subject.kind_history.order_by("-changed_on", "-id").first()
        if changed_on > today:
            _add(errors, "kind", _("A kind change cannot be dated in the future."))
        elif last is not None and changed_on < last.changed_on:
            _add(
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
    _model_errors(subject, errors)
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
            actor=_user(actor),
        )
    record_event(
        action="subject.updated", actor=actor, target=subject, details={"fields": sorted(changed)}
    )
    if revealed_minor:
        # DOMAIN.md A: a minor's data is not kept; the DPO erases it through retention.
        record_event(
            action="subject.flagged_for_erasure",
            actor=actor,
            target=subject,
            details={"reason": "under 18"},
        )
    return subject


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
        legal_hold_set_by=_user(actor),
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


# --- organisations ------------------------------------------------------------------------


def _organisation_errors(organisation: Organisation) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not organisation.name.strip():
        _add(errors, "name", _("Give the organisation's name."))
    started, ended = organisation.contract_started_on, organisation.contract_ended_on
    if started and ended and ended < started:
        _add(errors, "contract_ended_on", _("The contract cannot end before it started."))
    if organisation.registry_code:
        twins = Organisation.objects.filter(
            registry_code=organisation.registry_code, country=organisation.country
        ).exclude(pk=organisation.pk)
        if twins.exists():
            _add(
                errors,
                "registry_code",
                _("An organisation with this registry code already exists in this country."),
            )
    try:
        organisation.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            if field not in errors:
                _add(errors, field, messages)
    return errors


@transaction.atomic
def create_organisation(*, actor: Actor, **fields: Any) -> Organisation:
    _check_fields(fields, ORGANISATION_FIELDS)
    organisation = Organisation(**fields)
    organisation.name = organisation.name.strip()
    errors = _organisation_errors(organisation)
    if errors:
        raise ValidationError(errors)
    organisation.save()
    record_event(
        action="organisation.created",
        actor=actor,
        target=organisation,
        details={"status": organisation.status},
    )
    return organisation


@transaction.atomic
def update_organisation(*, organisation: Organisation, actor: Actor, **fields: Any) -> Organisation:
    """Correct an organisation's details. Status changes go through `change_organisation_status`."""
    _check_fields(fields, ORGANISATION_FIELDS - {"status"})
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    changed = {k: v for k, v in fields.items() if getattr(organisation, k) != v}
    if not changed:
        return organisation
    for name, value in changed.items():
        setattr(organisation, name, value)
    errors = _organisation_errors(organisation)
    if errors:
        raise ValidationError(errors)
    organisation.save()
    record_event(
        action="organisation.updated",
        actor=actor,
        target=organisation,
        details={"fields": sorted(changed)},
    )
    return organisation


@transaction.atomic
def change_organisation_status(
    *,
    organisation: Organisation,
    status: str,
    actor: Actor,
    on: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Organisation:
    """Move a company along prospect → trial/demo → paying → former.

    Becoming a paying client ends the prospect retention rule (DOMAIN.md G): the contract
    starts, the latest unconverted trial is marked converted (its content becomes client
    content) and the company's prospect people become client people, each with a
    `KindChange` dated `on`.
    """
    now = now or timezone.now()
    on = on or legal_today(now)
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    previous = organisation.status
    if status not in OrganisationStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    if status == previous:
        raise ValidationError({"status": _("The organisation already has this status.")})
    if on > legal_today(now):
        raise ValidationError({"status": _("A status change cannot be dated in the future.")})
    details: dict[str, Any] = {"from": previous, "to": status}

    if status == OrganisationStatus.PAYING:
        # From prospect or former client: a new contract starts today.
        organisation.contract_started_on = on
        organisation.contract_ended_on = None
        trial = (
            organisation.trials.filter(converted_on__isnull=True, started_on__lte=on)
            .order_by("-started_on")
            .first()
        )
        if trial is not None:
            Trial.objects.filter(pk=trial.pk).update(converted_on=on)
            details["converted_trial"] = trial.pk
        details["people_reclassified"] = _reclassify_prospects(
            organisation, actor=actor, on=on, now=now
        )
    elif status == OrganisationStatus.FORMER:
        if previous != OrganisationStatus.PAYING:
            raise ValidationError({"status": _("Only a paying client can become a former client.")})
        organisation.contract_ended_on = on
    elif previous in (OrganisationStatus.PAYING, OrganisationStatus.FORMER):
        raise ValidationError(
            {"status": _("A client cannot go back to being a prospect; record a new company.")}
        )

    organisation.status = status
    organisation.save()
    record_event(
        action="organisation.status_changed", actor=actor, target=organisation, details=details
    )
    return organisation


def _reclassify_prospects(
    organisation: Organisation, *, actor: Actor, on: dt.date, now: dt.datetime
) -> int:
    moved = 0
    for old, new in KIND_ON_CONVERSION.items():
        ids = list(
            DataSubject.objects.active()
            .filter(organisation=organisation, kind=old)
            .values_list("pk", flat=True)
        )
        if not ids:
            continue
        DataSubject.objects.filter(pk__in=ids).update(kind=new, updated_at=now)
        KindChange.objects.bulk_create(
            KindChange(
                subject_id=pk,
                kind=new,
                previous_kind=old,
                changed_on=on,
                recorded_at=now,
                actor=_user(actor),
            )
            for pk in ids
        )
        record_events_bulk(
            action="subject.updated",
            actor=actor,
            target_type="subjects.datasubject",
            target_ids=ids,
            details={"fields": ["kind"], "reason": "organisation became a paying client"},
        )
        moved += len(ids)
    return moved


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
