"""Lifecycle events the SaaS platform reports, each written where the retention rules read
their anchors: a trial's start and end (`Trial`), a demo (`Demo`), conversion
and the contract's end (`Organisation.status` through `change_organisation_status`), an
invoice (`Invoice.issued_on`), a claim falling due and closing (`Claim`), a message
(`Communication.sent_at`) and platform use (`UsageRecord.occurred_at`).

Each validates, writes and audits in one transaction; dates in the future are refused, since
an anchor in the future would postpone a purge on a promise.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import Actor, record_event
from core.timeutil import legal_today
from subjects.models import (
    Claim,
    Communication,
    CommunicationChannel,
    CommunicationDirection,
    DataSubject,
    Demo,
    Invoice,
    Organisation,
    OrganisationStatus,
    Trial,
    UsageRecord,
)
from subjects.services.organisations import change_organisation_status


def _not_future(field: str, day: dt.date, *, now: dt.datetime) -> None:
    if day > legal_today(now):
        raise ValidationError({field: _("This day is in the future; report it when it happens.")})


def _in_use(subject: DataSubject) -> None:
    if subject.anonymised_at is not None or subject.erasure_requested_at is not None:
        raise ValidationError({"subject": _("This person's data was erased.")})


@transaction.atomic
def record_trial_started(
    *, organisation: Organisation, started_on: dt.date, actor: Actor, now: dt.datetime | None = None
) -> Trial:
    """A trial starts: it blocks the prospect rule while it runs; a prospect company moves to
    the trial status."""
    now = now or timezone.now()
    _not_future("started_on", started_on, now=now)
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if organisation.trials.filter(ended_on__isnull=True).exists():
        raise ValidationError({"organisation": _("A trial of this company is still running.")})
    trial = Trial.objects.create(organisation=organisation, started_on=started_on)
    if organisation.status == OrganisationStatus.PROSPECT:
        change_organisation_status(
            organisation=organisation, status=OrganisationStatus.TRIAL, actor=actor, now=now
        )
    record_event(action="trial.started", actor=actor, target=trial, details={"source": "event"})
    return trial


@transaction.atomic
def record_trial_ended(
    *, organisation: Organisation, ended_on: dt.date, actor: Actor, now: dt.datetime | None = None
) -> Trial:
    """The running trial ends: the prospect rule's year and the trial content's 75 days
    count from this day."""
    now = now or timezone.now()
    _not_future("ended_on", ended_on, now=now)
    trial = (
        Trial.objects.select_for_update()
        .filter(organisation=organisation, ended_on__isnull=True)
        .order_by("-started_on")
        .first()
    )
    if trial is None:
        raise ValidationError({"organisation": _("This company has no running trial.")})
    if ended_on < trial.started_on:
        raise ValidationError({"ended_on": _("A trial cannot end before it started.")})
    trial.ended_on = ended_on
    trial.save(update_fields=["ended_on"])
    record_event(action="trial.ended", actor=actor, target=trial, details={"source": "event"})
    return trial


@transaction.atomic
def record_demo_held(
    *, subject: DataSubject, held_on: dt.date, actor: Actor, now: dt.datetime | None = None
) -> Demo:
    now = now or timezone.now()
    _in_use(subject)
    _not_future("held_on", held_on, now=now)
    demo = Demo.objects.create(subject=subject, held_on=held_on)
    record_event(action="demo.recorded", actor=actor, target=demo, details={"subject": subject.pk})
    return demo


def record_conversion(
    *, organisation: Organisation, on: dt.date, actor: Actor, now: dt.datetime | None = None
) -> Organisation:
    """The company becomes a paying client: the prospect rule ends for its people."""
    return change_organisation_status(
        organisation=organisation, status=OrganisationStatus.PAYING, actor=actor, on=on, now=now
    )


def record_contract_ended(
    *, organisation: Organisation, on: dt.date, actor: Actor, now: dt.datetime | None = None
) -> Organisation:
    return change_organisation_status(
        organisation=organisation, status=OrganisationStatus.FORMER, actor=actor, on=on, now=now
    )


@transaction.atomic
def record_invoice_issued(
    *,
    organisation: Organisation,
    number: str,
    issued_on: dt.date,
    amount: Decimal,
    currency: str,
    actor: Actor,
    billing_contact: DataSubject | None = None,
    now: dt.datetime | None = None,
) -> Invoice:
    """An invoice: kept 7 years after its financial year (Estonian Accounting Act)."""
    now = now or timezone.now()
    _not_future("issued_on", issued_on, now=now)
    if billing_contact is not None:
        _in_use(billing_contact)
    number = number.strip()
    if not number:
        raise ValidationError({"number": _("Give the invoice number.")})
    if Invoice.objects.filter(number=number).exists():
        raise ValidationError({"number": _("An invoice with this number is already recorded.")})
    invoice = Invoice(
        organisation=organisation,
        billing_contact=billing_contact,
        number=number,
        issued_on=issued_on,
        amount=amount,
        currency=currency.upper(),
        billing_name=billing_contact.full_name if billing_contact else None,
        billing_email=billing_contact.work_email if billing_contact else None,
    )
    invoice.full_clean(validate_unique=False, validate_constraints=False)
    invoice.save()
    record_event(action="invoice.recorded", actor=actor, target=invoice, details={})
    return invoice


@transaction.atomic
def record_claim_fell_due(
    *,
    fell_due_on: dt.date,
    actor: Actor,
    subject: DataSubject | None = None,
    organisation: Organisation | None = None,
    amount: Decimal | None = None,
    now: dt.datetime | None = None,
) -> Claim:
    """A claim: kept at most 10 years from the day it fell due (the maximum limitation period)."""
    now = now or timezone.now()
    _not_future("fell_due_on", fell_due_on, now=now)
    if subject is None and organisation is None:
        raise ValidationError({"subject": _("Name the person or the company the claim is on.")})
    if subject is not None:
        _in_use(subject)
    claim = Claim.objects.create(
        subject=subject, organisation=organisation, fell_due_on=fell_due_on, amount=amount
    )
    record_event(action="claim.recorded", actor=actor, target=claim, details={})
    return claim


@transaction.atomic
def record_claim_closed(
    *, claim: Claim, closed_on: dt.date, actor: Actor, now: dt.datetime | None = None
) -> Claim:
    now = now or timezone.now()
    _not_future("closed_on", closed_on, now=now)
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if claim.closed_on is not None:
        raise ValidationError({"claim": _("This claim is already closed.")})
    if closed_on < claim.fell_due_on:
        raise ValidationError({"closed_on": _("A claim cannot close before it fell due.")})
    claim.closed_on = closed_on
    claim.save(update_fields=["closed_on"])
    record_event(action="claim.closed", actor=actor, target=claim, details={})
    return claim


@transaction.atomic
def log_communication(
    *,
    subject: DataSubject,
    direction: str,
    channel: str,
    sent_at: dt.datetime,
    actor: Actor,
    subject_line: str = "",
    now: dt.datetime | None = None,
) -> Communication:
    now = now or timezone.now()
    _in_use(subject)
    errors: dict[str, Any] = {}
    if direction not in CommunicationDirection.values:
        errors["direction"] = [_("Unknown direction.")]
    if channel not in CommunicationChannel.values:
        errors["channel"] = [_("Unknown channel.")]
    if sent_at > now:
        errors["sent_at"] = [_("This time is in the future; report it when it happens.")]
    if errors:
        raise ValidationError(errors)
    message = Communication.objects.create(
        subject=subject,
        direction=direction,
        channel=channel,
        sent_at=sent_at,
        subject_line=subject_line.strip() or None,
    )
    record_event(
        action="communication.logged", actor=actor, target=message, details={"subject": subject.pk}
    )
    return message


@transaction.atomic
def record_usage(
    *,
    subject: DataSubject,
    occurred_at: dt.datetime,
    action: str,
    actor: Actor,
    now: dt.datetime | None = None,
) -> UsageRecord:
    now = now or timezone.now()
    _in_use(subject)
    if occurred_at > now:
        raise ValidationError(
            {"occurred_at": _("This time is in the future; report it when it happens.")}
        )
    if not action.strip() or len(action) > 100:
        raise ValidationError({"action": _("Name the action in at most 100 characters.")})
    usage = UsageRecord.objects.create(subject=subject, occurred_at=occurred_at, action=action)
    record_event(
        action="usage.recorded", actor=actor, target=usage, details={"subject": subject.pk}
    )
    return usage
