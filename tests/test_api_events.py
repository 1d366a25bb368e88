"""Lifecycle events and data-subject requests through the API: each event writes the anchor
its retention rule reads, refuses bad input naming the field, and is audited with the key."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from core.api.models import Scope
from core.models import AuditEvent
from core.timeutil import legal_today
from subject_requests.models import SubjectRequest
from subjects.models import (
    Claim,
    Communication,
    DataSubject,
    Demo,
    Invoice,
    Organisation,
    OrganisationStatus,
    SubjectKind,
    Trial,
    UsageRecord,
)
from tests.api_helpers import KeyClient, make_key
from tests.factories import OrganisationFactory, ProspectFactory

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/events/"


@pytest.fixture
def api(client: Client, admin_user: User) -> KeyClient:
    _, secret = make_key(
        admin_user, [Scope.EVENTS_WRITE, Scope.REQUESTS_WRITE, Scope.REQUESTS_READ]
    )
    return KeyClient(client, secret)


def today() -> str:
    return legal_today().isoformat()


def test_a_trial_starts_ends_and_converts(api: KeyClient, seeded: None) -> None:
    company = OrganisationFactory.create(status=OrganisationStatus.PROSPECT)
    prospect = ProspectFactory.create(organisation=company)
    started = api.post(
        f"{EVENTS}trial-started/", {"organisation": company.pk, "started_on": today()}
    )
    assert started.status_code == 201, started.json()
    company.refresh_from_db()
    assert company.status == OrganisationStatus.TRIAL
    again = api.post(f"{EVENTS}trial-started/", {"organisation": company.pk, "started_on": today()})
    assert again.status_code == 400 and "organisation" in again.json()["error"]["fields"]
    ended = api.post(f"{EVENTS}trial-ended/", {"organisation": company.pk, "ended_on": today()})
    assert ended.status_code == 201
    assert Trial.objects.get(pk=ended.json()["id"]).ended_on == legal_today()
    converted = api.post(f"{EVENTS}conversion/", {"organisation": company.pk, "on": today()})
    assert converted.status_code == 201, converted.json()
    prospect.refresh_from_db()
    assert prospect.kind == SubjectKind.CLIENT
    assert Organisation.objects.get(pk=company.pk).status == OrganisationStatus.PAYING
    assert AuditEvent.objects.filter(
        action="trial.ended", actor_label__startswith="api-key"
    ).exists()


def test_a_future_day_is_refused_by_its_documented_rule_and_an_unknown_company_is_404(
    api: KeyClient,
) -> None:
    company = OrganisationFactory.create()
    tomorrow = (legal_today() + dt.timedelta(days=2)).isoformat()
    future = api.post(
        f"{EVENTS}trial-started/", {"organisation": company.pk, "started_on": tomorrow}
    )
    assert future.status_code == 400
    assert future.json()["error"]["code"] == "refused"
    assert "started_on" in future.json()["error"]["fields"]
    unknown = api.post(f"{EVENTS}trial-started/", {"organisation": 999999, "started_on": today()})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    assert "organisation" in unknown.json()["error"]["fields"]
    assert not Trial.objects.exists()


def test_person_events_feed_their_anchors(api: KeyClient) -> None:
    person = ProspectFactory.create(external_id="u-7")
    now = timezone.now().isoformat()
    assert (
        api.post(f"{EVENTS}demo-held/", {"external_id": "u-7", "held_on": today()}).status_code
        == 201
    )
    assert Demo.objects.get().subject == person
    logged = api.post(
        f"{EVENTS}communication-logged/",
        {"subject": person.pk, "direction": "inbound", "sent_at": now},
    )
    assert logged.status_code == 201 and Communication.objects.get().subject == person
    used = api.post(
        f"{EVENTS}usage-recorded/", {"subject": person.pk, "occurred_at": now, "action": "login"}
    )
    assert used.status_code == 201 and UsageRecord.objects.get().subject == person
    nobody = api.post(f"{EVENTS}demo-held/", {"subject": 424242, "held_on": today()})
    assert nobody.status_code == 404 and "subject" in nobody.json()["error"]["fields"]


def test_invoices_and_claims(api: KeyClient) -> None:
    company = OrganisationFactory.create(status=OrganisationStatus.PAYING)
    contact = ProspectFactory.create(kind="client", organisation=company)
    body = {"organisation": company.pk, "number": "INV-1", "issued_on": today(), "amount": "10.00",
            "billing_contact": contact.pk}  # fmt: skip
    assert api.post(f"{EVENTS}invoice-issued/", body).status_code == 201
    assert Invoice.objects.get().billing_email == contact.work_email
    duplicate = api.post(f"{EVENTS}invoice-issued/", body)
    assert duplicate.status_code == 400 and "number" in duplicate.json()["error"]["fields"]
    due = api.post(f"{EVENTS}claim-fell-due/", {"organisation": company.pk, "fell_due_on": today()})
    assert due.status_code == 201
    closed = api.post(f"{EVENTS}claim-closed/", {"claim": due.json()["id"], "closed_on": today()})
    assert closed.status_code == 201 and Claim.objects.get().closed_on == legal_today()
    twice = api.post(f"{EVENTS}claim-closed/", {"claim": due.json()["id"], "closed_on": today()})
    assert twice.status_code == 400
    partyless = api.post(f"{EVENTS}claim-fell-due/", {"fell_due_on": today()})
    assert partyless.status_code == 400


def test_a_key_without_events_write_gets_403(client: Client, admin_user: User) -> None:
    _, secret = make_key(admin_user, [Scope.SUBJECTS_WRITE])
    company = OrganisationFactory.create()
    response = KeyClient(client, secret).post(
        f"{EVENTS}trial-started/", {"organisation": company.pk, "started_on": today()}
    )
    assert response.status_code == 403 and not Trial.objects.exists()


def test_a_request_is_filed_and_its_due_day_read_back(api: KeyClient, seeded: None) -> None:
    filed = api.post(
        "/api/v1/requests/",
        {"type": "access", "name": "Mari Tamm", "email": "mari@example.ee"},
    )
    assert filed.status_code == 201, filed.json()
    reference = filed.json()["reference"]
    request = SubjectRequest.objects.get(reference=reference)
    assert request.channel == "web"
    status = api.get(f"/api/v1/requests/{reference}/").json()
    assert status["due_on"] == request.due_on().isoformat() and status["overdue"] is False
    assert api.get("/api/v1/requests/DSR-0000-000000/").status_code == 404
    bad = api.post("/api/v1/requests/", {"type": "everything", "name": "", "email": "x"})
    assert set(bad.json()["error"]["fields"]) == {"type", "name", "email"}
    assert AuditEvent.objects.filter(
        action="request.received", actor_label__startswith="api-key"
    ).exists()
    assert not DataSubject.objects.exists()


def test_a_portability_request_filed_through_the_api_names_the_receiving_company(
    api: KeyClient, seeded: None
) -> None:
    """GDPR Art. 20(2) through the platform's in-app form too, checked by the public form's
    rule, each refusal on its field."""
    body = {"type": "portability", "name": "Mari Tamm", "email": "mari@example.ee"}
    filed = api.post(
        "/api/v1/requests/",
        {**body, "receiver": {"name": "Other Company OÜ", "email": "data@other.example"}},
    )
    assert filed.status_code == 201, filed.json()
    assert filed.json()["transmission"] == "asked"
    request = SubjectRequest.objects.get(reference=filed.json()["reference"])
    assert (request.receiver_name, request.receiver_email) == (
        "Other Company OÜ",
        "data@other.example",
    )
    assert request.transmission_awaits_decision
    assert request.timeline.filter(kind="transmission").exists()
    plain = api.post("/api/v1/requests/", body).json()
    assert api.get(f"/api/v1/requests/{plain['reference']}/").json()["transmission"] == ""

    refusals = {
        "not portability": {
            **body,
            "type": "access",
            "receiver": {"name": "X", "email": "data@x.example"},
        },
        "no company name": {**body, "receiver": {"email": "data@x.example"}},
        "not an address": {**body, "receiver": {"name": "X", "email": "x"}},
        "a bare host": {**body, "receiver": {"name": "X", "email": "data@localhost"}},
        "the requester's own": {**body, "receiver": {"name": "X", "email": "MARI@example.ee"}},
    }
    for case, sent in refusals.items():
        refused = api.post("/api/v1/requests/", sent)
        assert refused.status_code == 400, case
        assert list(refused.json()["error"]["fields"]) == ["receiver"], case
    assert SubjectRequest.objects.count() == 2
