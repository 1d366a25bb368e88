"""Lifecycle events from the platform, one endpoint each, each calling its service in
`subjects.services.lifecycle` (which writes the retention anchor and the audit event)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from django.db.models import Model
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.auth import api_actor
from core.api.errors import NON_FIELD, REFUSED, django_validation_fields
from core.api.fields import (
    StrictCharField,
    StrictChoiceField,
    StrictDateField,
    StrictDateTimeField,
    StrictDecimalField,
    existing,
    id_field,
)
from core.api.inputs import ApiInput
from core.api.models import Scope
from core.api.schema import IDEMPOTENCY_KEY, WRITE_ERRORS
from core.api.views import ApiWriteView, json_object
from core.audit import Actor
from subjects.models import (
    Claim,
    CommunicationChannel,
    CommunicationDirection,
    DataSubject,
    Organisation,
)
from subjects.services import lifecycle

# What `subjects.services.lifecycle` refuses: an anchor in the future would postpone a purge
# on a promise.
NOT_FUTURE = "It is after today (Europe/Tallinn): report the event when it has happened."
FUTURE_TIME = "It is in the future: report it when it has happened."


class PersonRef(ApiInput):
    """A person by the portal's id (`subject`) or the platform's (`external_id`)."""

    subject = id_field(required=False, help_text="The portal's id of the person.")
    external_id = StrictCharField(
        required=False, max_length=100, help_text="The platform's id of the person."
    )
    required_any = ("subject", "external_id")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        people = DataSubject.objects.active()
        if "subject" in attrs:
            found = people.filter(pk=attrs.pop("subject")).first()
            attrs.pop("external_id", None)
        else:
            found = people.filter(external_id=attrs.pop("external_id")).first()
        if found is None:
            raise serializers.ValidationError({"subject": ["No such person."]}, code="not_found")
        attrs["person"] = found
        return attrs


class OrganisationRef(ApiInput):
    organisation = id_field(help_text="The portal's id of the company.")

    def validate_organisation(self, value: int) -> Organisation:
        return existing(Organisation.objects.all(), value, "No such organisation.")


class TrialStarted(OrganisationRef):
    organisation = id_field(
        help_text="The portal's id of the company.",
        rules=["A trial of this company is still running."],
    )
    started_on = StrictDateField(rules=[NOT_FUTURE])


class TrialEnded(OrganisationRef):
    organisation = id_field(
        help_text="The portal's id of the company.", rules=["This company has no running trial."]
    )
    ended_on = StrictDateField(rules=[NOT_FUTURE, "It is before the trial started."])


class DemoHeld(PersonRef):
    held_on = StrictDateField(rules=[NOT_FUTURE])


class Conversion(OrganisationRef):
    on = StrictDateField(
        help_text="The day the company became a paying client.", rules=[NOT_FUTURE]
    )
    rules = ("The company is a paying client already, or a former client's conversion back.",)


class ContractEnded(OrganisationRef):
    on = StrictDateField(help_text="The day the contract ended.", rules=[NOT_FUTURE])
    rules = ("The company is not a paying client: only a client's contract ends.",)


class InvoiceIssued(OrganisationRef):
    number = StrictCharField(
        max_length=50, rules=["An invoice with this number is already recorded."]
    )
    issued_on = StrictDateField(rules=[NOT_FUTURE])
    amount = StrictDecimalField(max_digits=12, decimal_places=2)
    currency = StrictCharField(
        default="EUR", validators=[RegexValidator(r"^[A-Za-z]{3}$")], help_text="ISO 4217."
    )
    billing_contact = id_field(required=False, help_text="The person the invoice is sent to.")

    def validate_billing_contact(self, value: int) -> DataSubject:
        return existing(DataSubject.objects.active(), value, "No such person.")


class ClaimFellDue(ApiInput):
    subject = id_field(required=False)
    organisation = id_field(required=False)
    fell_due_on = StrictDateField(rules=[NOT_FUTURE])
    amount = StrictDecimalField(max_digits=12, decimal_places=2, required=False)
    required_any = ("subject", "organisation")

    def validate_subject(self, value: int) -> DataSubject:
        return existing(DataSubject.objects.active(), value, "No such person.")

    def validate_organisation(self, value: int) -> Organisation:
        return existing(Organisation.objects.all(), value, "No such organisation.")


class ClaimClosed(ApiInput):
    claim = id_field(
        help_text="The id returned when the claim was reported.",
        rules=["This claim is already closed."],
    )
    closed_on = StrictDateField(rules=[NOT_FUTURE, "It is before the claim fell due."])

    def validate_claim(self, value: int) -> Claim:
        return existing(Claim.objects.filter(anonymised_at__isnull=True), value, "No such claim.")


class CommunicationLogged(PersonRef):
    direction = StrictChoiceField(choices=CommunicationDirection.choices)
    channel = StrictChoiceField(choices=CommunicationChannel.choices, default="email")
    sent_at = StrictDateTimeField(rules=[FUTURE_TIME])
    subject_line = StrictCharField(required=False, allow_blank=True, max_length=300)


class UsageRecorded(PersonRef):
    occurred_at = StrictDateTimeField(rules=[FUTURE_TIME])
    action = StrictCharField(max_length=100)


class EventRecorded(serializers.Serializer[Any]):
    event = serializers.CharField()
    id = serializers.IntegerField(help_text="The record written (trial, demo, claim, …).")


class EventView(ApiWriteView):
    permission = "subjects.edit"
    scopes = {"POST": Scope.EVENTS_WRITE}
    event: ClassVar[str]
    input: ClassVar[type[serializers.Serializer[Any]]]

    def record(self, data: dict[str, Any], actor: Actor) -> Model:
        raise NotImplementedError

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = self.input(data=json_object(request))
        given.is_valid(raise_exception=True)
        try:
            written = self.record(dict(given.validated_data), api_actor(request))
        except DjangoValidationError as refused:
            # A refusal about something the request does not name (the company's status) is
            # one of the whole request.
            told: dict[str, list[str]] = {}
            for name, messages in django_validation_fields(refused).items():
                told.setdefault(name if name in given.fields else NON_FIELD, []).extend(messages)
            raise exceptions.ValidationError(told, code=REFUSED) from None
        return Response({"event": self.event, "id": written.pk}, status=status.HTTP_201_CREATED)


EXAMPLES: dict[str, dict[str, Any]] = {
    "trial_started": {"organisation": 12, "started_on": "2026-11-01"},
    "trial_ended": {"organisation": 12, "ended_on": "2026-11-28"},
    "demo_held": {"external_id": "u-1842", "held_on": "2026-11-20"},
    "conversion": {"organisation": 12, "on": "2026-12-01"},
    "contract_ended": {"organisation": 12, "on": "2027-11-30"},
    "invoice_issued": {"organisation": 12, "number": "2026-0042", "issued_on": "2026-12-01",
                       "amount": "490.00", "currency": "EUR", "billing_contact": 311},
    "claim_fell_due": {"organisation": 12, "fell_due_on": "2027-01-15", "amount": "490.00"},
    "claim_closed": {"claim": 7, "closed_on": "2027-02-01"},
    "communication_logged": {"external_id": "u-1842", "direction": "inbound",
                             "channel": "email", "sent_at": "2026-11-29T09:12:00Z"},
    "usage_recorded": {"external_id": "u-1842", "occurred_at": "2026-11-29T09:30:00Z",
                       "action": "login"},
}  # fmt: skip


def _event_view(
    event: str, input: type[serializers.Serializer[Any]], description: str, record: Any
) -> type[EventView]:
    @extend_schema(
        tags=["lifecycle events"],
        summary=event.replace("_", " ").capitalize(),
        description=description,
        request=input,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: EventRecorded, **WRITE_ERRORS},
        examples=[
            OpenApiExample(event, value=EXAMPLES[event], request_only=True),
            OpenApiExample(
                "recorded",
                value={"event": event, "id": 1},
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def post(self: EventView, request: Request, *args: Any, **kwargs: Any) -> Response:
        return ApiWriteView.post(self, request, *args, **kwargs)

    name = "".join(part.capitalize() for part in event.split("_")) + "Event"
    return type(
        name,
        (EventView,),
        {"event": event, "input": input, "record": record, "post": post, "__doc__": description},
    )


EVENT_VIEWS: dict[str, type[EventView]] = {
    "trial-started": _event_view(
        "trial_started", TrialStarted,
        "A company's trial started; a running trial blocks the prospect rule.",
        lambda self, d, actor: lifecycle.record_trial_started(
            organisation=d["organisation"], started_on=d["started_on"], actor=actor),
    ),
    "trial-ended": _event_view(
        "trial_ended", TrialEnded,
        "The running trial ended: the prospect year and the trial content's 75 days start.",
        lambda self, d, actor: lifecycle.record_trial_ended(
            organisation=d["organisation"], ended_on=d["ended_on"], actor=actor),
    ),
    "demo-held": _event_view(
        "demo_held", DemoHeld, "A demo was held for a person (a prospect anchor).",
        lambda self, d, actor: lifecycle.record_demo_held(
            subject=d["person"], held_on=d["held_on"], actor=actor),
    ),
    "conversion": _event_view(
        "conversion", Conversion,
        "The company became a paying client: its trial converts and its prospects become "
        "client people, ending the prospect rule.",
        lambda self, d, actor: lifecycle.record_conversion(
            organisation=d["organisation"], on=d["on"], actor=actor),
    ),
    "contract-ended": _event_view(
        "contract_ended", ContractEnded,
        "The client's contract ended; the former-client rules count from here.",
        lambda self, d, actor: lifecycle.record_contract_ended(
            organisation=d["organisation"], on=d["on"], actor=actor),
    ),
    "invoice-issued": _event_view(
        "invoice_issued", InvoiceIssued,
        "An invoice was issued: kept 7 years after the end of its financial year.",
        lambda self, d, actor: lifecycle.record_invoice_issued(
            organisation=d["organisation"], number=d["number"], issued_on=d["issued_on"],
            amount=d["amount"], currency=d["currency"], actor=actor,
            billing_contact=d.get("billing_contact")),
    ),
    "claim-fell-due": _event_view(
        "claim_fell_due", ClaimFellDue,
        "A claim fell due: data linked to it is kept at most 10 years from this day.",
        lambda self, d, actor: lifecycle.record_claim_fell_due(
            fell_due_on=d["fell_due_on"], actor=actor, subject=d.get("subject"),
            organisation=d.get("organisation"), amount=d.get("amount")),
    ),
    "claim-closed": _event_view(
        "claim_closed", ClaimClosed, "A claim was settled or closed.",
        lambda self, d, actor: lifecycle.record_claim_closed(
            claim=d["claim"], closed_on=d["closed_on"], actor=actor),
    ),
    "communication-logged": _event_view(
        "communication_logged", CommunicationLogged,
        "A message to or from the person (the body stays in the platform).",
        lambda self, d, actor: lifecycle.log_communication(
            subject=d["person"], direction=d["direction"], channel=d["channel"],
            sent_at=d["sent_at"], subject_line=d.get("subject_line", ""), actor=actor),
    ),
    "usage-recorded": _event_view(
        "usage_recorded", UsageRecorded, "The person used the platform.",
        lambda self, d, actor: lifecycle.record_usage(
            subject=d["person"], occurred_at=d["occurred_at"], action=d["action"], actor=actor),
    ),
}  # fmt: skip
