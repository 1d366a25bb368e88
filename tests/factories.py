"""factory_boy factories. Each app's models have a section; add new factories to yours."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import models
from django.utils import timezone

from consent.models import ConsentEvent
from processing.models import System
from retention.models import PurgeRun, RetentionRule
from subject_requests.models import SubjectRequest
from subjects import models as sm

if TYPE_CHECKING:
    from processing.models import Purpose
    from subject_requests.deadlines import RequestDeadline

M = TypeVar("M", bound=models.Model)


class ModelFactory(factory.django.DjangoModelFactory[M]):
    """A factory whose `create`/`build` are typed as returning the model, so a test gets a
    `DataSubject` (with `.pk`, `.organisation`, …) and not `Any`. Call `XFactory.create(...)`:
    `XFactory(...)` works at run time but mypy types it as the factory itself."""

    @classmethod
    def create(cls, **kwargs: Any) -> M:
        return super().create(**kwargs)

    @classmethod
    def build(cls, **kwargs: Any) -> M:
        return super().build(**kwargs)

    @classmethod
    def create_batch(cls, size: int, **kwargs: Any) -> list[M]:
        return super().create_batch(size, **kwargs)

    @classmethod
    def build_batch(cls, size: int, **kwargs: Any) -> list[M]:
        return super().build_batch(size, **kwargs)


def post_generation(hook: Callable[..., None]) -> factory.PostGeneration:
    """`factory.post_generation`, whose own signature is unannotated."""
    return factory.PostGeneration(hook)


# --- users -----------------------------------------------------------------------------------


class UserFactory(ModelFactory[User]):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@operator.example")
    password = factory.django.Password("correct horse battery")
    is_active = True


# --- subjects --------------------------------------------------------------------------------


class OrganisationFactory(ModelFactory[sm.Organisation]):
    class Meta:
        model = sm.Organisation

    name = factory.Sequence(lambda n: f"Company {n} OÜ")
    registry_code = factory.Sequence(lambda n: f"{10000000 + n}")
    country = "EE"
    status = sm.OrganisationStatus.PAYING
    contract_started_on = dt.date(2020, 1, 1)


class DataSubjectFactory(ModelFactory[sm.DataSubject]):
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


class TrialFactory(ModelFactory[sm.Trial]):
    class Meta:
        model = sm.Trial

    organisation = factory.SubFactory(OrganisationFactory, status=sm.OrganisationStatus.TRIAL)
    started_on = dt.date(2025, 1, 1)
    ended_on = dt.date(2025, 1, 31)


class TrialContentFactory(ModelFactory[sm.TrialContent]):
    class Meta:
        model = sm.TrialContent

    trial = factory.SubFactory(TrialFactory)
    title = "Board meeting notes"
    content = "Notes written during the trial"


class DemoFactory(ModelFactory[sm.Demo]):
    class Meta:
        model = sm.Demo

    subject = factory.SubFactory(ProspectFactory)
    held_on = dt.date(2025, 3, 1)


class InvoiceFactory(ModelFactory[sm.Invoice]):
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


class ClaimFactory(ModelFactory[sm.Claim]):
    class Meta:
        model = sm.Claim

    subject = factory.SubFactory(DataSubjectFactory, kind=sm.SubjectKind.CLIENT)
    organisation = factory.SelfAttribute("subject.organisation")
    fell_due_on = dt.date(2020, 3, 1)
    description = "Unpaid invoice"
    amount = Decimal("500.00")


class CommunicationFactory(ModelFactory[sm.Communication]):
    class Meta:
        model = sm.Communication

    subject = factory.SubFactory(DataSubjectFactory)
    direction = sm.CommunicationDirection.INBOUND
    channel = sm.CommunicationChannel.EMAIL
    sent_at = factory.LazyFunction(timezone.now)
    subject_line = "Question about my account"
    body = "Hello, I have a question."


class UsageRecordFactory(ModelFactory[sm.UsageRecord]):
    class Meta:
        model = sm.UsageRecord

    subject = factory.SubFactory(DataSubjectFactory)
    occurred_at = factory.LazyFunction(timezone.now)
    action = "login"
    details = {"ip": "192.0.2.10"}


# --- processing: the systems register ------------------------------------------------------


class SystemFactory(ModelFactory[System]):
    """A manual internal system with an owner, holding contact data of clients; pass
    `categories=["contact", "usage"]` (codes of the seeded categories) to choose others."""

    class Meta:
        model = System
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"System {n}")
    kind = "internal"
    owner = factory.SubFactory(UserFactory)
    subject_kinds = factory.LazyFunction(lambda: ["client"])
    connector = "manual"

    @post_generation
    def categories(self: System, create: bool, extracted: list[str] | None, **kwargs: Any) -> None:
        from processing.models import DataCategory

        if not create:
            return
        codes = ["contact"] if extracted is None else extracted
        self.categories.set(DataCategory.objects.filter(code__in=codes))


# --- consent ---------------------------------------------------------------------------------


def purpose(code: str) -> Purpose:
    """A seeded purpose by code ("direct-marketing", "prospect-marketing", …)."""
    from processing.models import Purpose

    return Purpose.objects.get(code=code)


class ConsentEventFactory(ModelFactory[ConsentEvent]):
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


class RetentionRuleFactory(ModelFactory[RetentionRule]):
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


class PurgeRunFactory(ModelFactory[PurgeRun]):
    class Meta:
        model = "retention.PurgeRun"

    status = "succeeded"
    as_of = dt.date(2025, 6, 1)
    actor_label = "nightly-purge"
    finished_at = factory.LazyFunction(timezone.now)


# --- subject_requests ------------------------------------------------------------------------


def _request_deadline(received_at: dt.datetime) -> RequestDeadline:
    from subject_requests.deadlines import request_deadline

    return request_deadline(received_at)


class SubjectRequestFactory(ModelFactory[SubjectRequest]):
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

    @post_generation
    def with_reference(
        obj: SubjectRequest, create: bool, extracted: object, **kwargs: object
    ) -> None:
        if create and not obj.reference:
            from subject_requests.services.intake import reference_for

            obj.reference = reference_for(obj)
            obj.save(update_fields=["reference"])


def reference_of(request: SubjectRequest) -> str:
    """The reference a created request always has (the model allows none before intake)."""
    assert request.reference, request.pk
    return request.reference
