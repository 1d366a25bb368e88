"""Writes to organisations: details and the status that moves a company from prospect to
paying client to former client (which ends or starts retention rules)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Unpack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import Actor, record_event, record_events_bulk
from core.timeutil import legal_today
from subjects.fields import ORGANISATION_FIELD_NAMES, OrganisationFields
from subjects.models import (
    DataSubject,
    KindChange,
    Organisation,
    OrganisationStatus,
    SubjectKind,
    Trial,
)
from subjects.services.common import add_error, check_fields, user_of

ORGANISATION_FIELDS = frozenset(ORGANISATION_FIELD_NAMES)

# A prospect's company becoming a paying client turns its people into client people.
KIND_ON_CONVERSION = {
    SubjectKind.PROSPECT: SubjectKind.CLIENT,
    SubjectKind.PROSPECT_REPRESENTATIVE: SubjectKind.CLIENT_REPRESENTATIVE,
}


def _organisation_errors(organisation: Organisation) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not organisation.name.strip():
        add_error(errors, "name", _("Give the organisation's name."))
    started, ended = organisation.contract_started_on, organisation.contract_ended_on
    if started and ended and ended < started:
        add_error(errors, "contract_ended_on", _("The contract cannot end before it started."))
    if organisation.registry_code:
        twins = Organisation.objects.filter(
            registry_code=organisation.registry_code, country=organisation.country
        ).exclude(pk=organisation.pk)
        if twins.exists():
            add_error(
                errors,
                "registry_code",
                _("An organisation with this registry code already exists in this country."),
            )
    try:
        organisation.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            if field not in errors:
                add_error(errors, field, messages)
    return errors


@transaction.atomic
def create_organisation(*, actor: Actor, **fields: Unpack[OrganisationFields]) -> Organisation:
    check_fields(fields, ORGANISATION_FIELDS)
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
def update_organisation(
    *, organisation: Organisation, actor: Actor, **fields: Unpack[OrganisationFields]
) -> Organisation:
    """Correct an organisation's details. Status changes go through `change_organisation_status`."""
    check_fields(fields, ORGANISATION_FIELDS - {"status"})
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

    Becoming a paying client ends the prospect retention rule (1 year): the contract
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
                actor=user_of(actor),
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
