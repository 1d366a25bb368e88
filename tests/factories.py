"""factory_boy factories. Each app's models have a section; add new factories to yours."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from subjects import models as sm

# --- users -----------------------------------------------------------------------------------


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@operator.example")
    password = factory.django.Password("correct horse battery")
    is_active = True


# --- subjects --------------------------------------------------------------------------------


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.Organisation

    name = factory.Sequence(lambda n: f"Company {n} OÜ")
    registry_code = factory.Sequence(lambda n: f"{10000000 + n}")
    country = "EE"
    status = sm.OrganisationStatus.PAYING
    contract_started_on = dt.date(2020, 1, 1)


class DataSubjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.DataSubject

    kind = sm.SubjectKind.USER
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = factory.Sequence(lambda n: f"Last{n}")
    work_email = factory.Sequence(lambda n: f"person{n}@company.example")
    work_phone = "+372 5555 0000"
    organisation = factory.SubFactory(OrganisationFactory)
    position = "Engineer"
    country = "EE"
    source = sm.Source.SUBJECT
    collected_at = factory.LazyFunction(timezone.now)


class ProspectFactory(DataSubjectFactory):
    kind = sm.SubjectKind.PROSPECT
    organisation = factory.SubFactory(OrganisationFactory, status=sm.OrganisationStatus.PROSPECT)
    source = sm.Source.PUBLIC_REGISTER


class TrialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.Trial

    organisation = factory.SubFactory(OrganisationFactory, status=sm.OrganisationStatus.TRIAL)
    started_on = dt.date(2025, 1, 1)
    ended_on = dt.date(2025, 1, 31)


class TrialContentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.TrialContent

    trial = factory.SubFactory(TrialFactory)
    title = "Board meeting notes"
    content = "Notes written during the trial"


class DemoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.Demo

    subject = factory.SubFactory(ProspectFactory)
    held_on = dt.date(2025, 3, 1)


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.Invoice

    organisation = factory.SubFactory(OrganisationFactory)
    billing_contact = factory.SubFactory(
        DataSubjectFactory,
        kind=sm.SubjectKind.CLIENT,
        organisation=factory.SelfAttribute("..organisation"),
    )
    number = factory.Sequence(lambda n: f"INV-{n:06d}")
    issued_on = dt.date(2020, 6, 15)
    billing_name = "Billing Person"
    billing_email = factory.Sequence(lambda n: f"billing{n}@company.example")
    billing_address = "Narva mnt 5, Tallinn"
    amount = Decimal("199.00")
    currency = "EUR"


class ClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.Claim

    subject = factory.SubFactory(DataSubjectFactory, kind=sm.SubjectKind.CLIENT)
    organisation = factory.SelfAttribute("subject.organisation")
    fell_due_on = dt.date(2020, 3, 1)
    description = "Unpaid invoice"
    amount = Decimal("500.00")


class CommunicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.Communication

    subject = factory.SubFactory(DataSubjectFactory)
    direction = sm.CommunicationDirection.INBOUND
    channel = sm.CommunicationChannel.EMAIL
    sent_at = factory.LazyFunction(timezone.now)
    subject_line = "Question about my account"
    body = "Hello, I have a question."


class UsageRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.UsageRecord

    subject = factory.SubFactory(DataSubjectFactory)
    occurred_at = factory.LazyFunction(timezone.now)
    action = "login"
    details = {"ip": "192.0.2.10"}


# --- consent ---------------------------------------------------------------------------------


def purpose(code: str):  # type: ignore[no-untyped-def]
    """A seeded purpose by code ("direct-marketing", "prospect-marketing", …)."""
    from processing.models import Purpose

    return Purpose.objects.get(code=code)


class ConsentEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "consent.ConsentEvent"

    subject = factory.SubFactory(DataSubjectFactory)
    purpose = factory.LazyFunction(lambda: purpose("direct-marketing"))
    kind = "granted"
    channel = "web_form"
    actor_label = "data subject"
    wording = "I agree to receive the newsletter."
    occurred_at = factory.LazyFunction(timezone.now)
    recorded_at = factory.LazyAttribute(lambda e: e.occurred_at)


# --- retention -------------------------------------------------------------------------------


class RetentionRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "retention.RetentionRule"
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"rule-{n}")
    name = factory.LazyAttribute(lambda r: f"Rule {r.code}")
    record_type = "subjects.claim"
    anchor = "claim_fell_due"
    period_years = 10
    action = "anonymise"
    legal_reference = "Test reference"


class PurgeRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "retention.PurgeRun"

    status = "succeeded"
    as_of = dt.date(2025, 6, 1)
    actor_label = "nightly-purge"
    finished_at = factory.LazyFunction(timezone.now)


# --- subject_requests ------------------------------------------------------------------------


def _request_deadline(received_at: dt.datetime) -> Any:
    from subject_requests.deadlines import request_deadline

    return request_deadline(received_at)


class SubjectRequestFactory(factory.django.DjangoModelFactory):
    """A request row as intake leaves it; use the services for anything that moves it."""

    class Meta:
        model = "subject_requests.SubjectRequest"
        skip_postgeneration_save = True

    type = "access"
    channel = "web"
    status = "received"
    requester_name = factory.Sequence(lambda n: f"Requester {n}")
    requester_email = factory.Sequence(lambda n: f"requester{n}@example.org")
    description = "Please tell me what you hold about me."
    received_at = factory.LazyFunction(timezone.now)
    due_at = factory.LazyAttribute(lambda r: _request_deadline(r.received_at).due_at)
    target_at = factory.LazyAttribute(lambda r: _request_deadline(r.received_at).target_at)

    @factory.post_generation
    def with_reference(obj, create: bool, extracted: object, **kwargs: object) -> None:
        if create and not obj.reference:
            from subject_requests.services.intake import reference_for

            obj.reference = reference_for(obj)
            obj.save(update_fields=["reference"])
