"""Organisations through the API: the platform learns a company's id by its registry code,
creates it when new, and reports its events by that id; scopes, errors and idempotency."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from core.api.models import Scope
from core.models import AuditEvent
from subjects.models import Organisation, OrganisationStatus
from tests.api_helpers import KeyClient, make_key

pytestmark = pytest.mark.django_db

ORGANISATIONS = "/api/v1/organisations/"
COMPANY = {"name": "Kask ja Tamm OÜ", "registry_code": "12345678", "country": "EE"}


@pytest.fixture
def api(client: Client, admin_user: User) -> KeyClient:
    _, secret = make_key(
        admin_user, [Scope.SUBJECTS_READ, Scope.SUBJECTS_WRITE, Scope.EVENTS_WRITE]
    )
    return KeyClient(client, secret)


def test_created_then_matched_by_registry_code_and_country(api: KeyClient) -> None:
    created = api.post(ORGANISATIONS, COMPANY)
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["action"] == "create"
    assert body["organisation"] | {"id": 0, "created_at": ""} == {
        "id": 0, "name": "Kask ja Tamm OÜ", "registry_code": "12345678", "country": "EE",
        "status": "prospect", "contract_started_on": None, "contract_ended_on": None,
        "created_at": "",
    }  # fmt: skip
    pk = body["organisation"]["id"]
    event = AuditEvent.objects.get(action="organisation.created", target_id=str(pk))
    assert event.actor_label.startswith("api-key ")

    same = api.post(ORGANISATIONS, {**COMPANY, "country": "EE"})
    assert (same.status_code, same.json()["action"]) == (200, "unchanged")
    renamed = api.post(ORGANISATIONS, {**COMPANY, "name": "Kask & Tamm OÜ"})
    assert (renamed.status_code, renamed.json()["action"]) == (200, "update")
    assert renamed.json()["organisation"]["id"] == pk
    assert Organisation.objects.get(pk=pk).name == "Kask & Tamm OÜ"
    # The same code in another country is another company.
    latvian = api.post(ORGANISATIONS, {**COMPANY, "country": "LV"})
    assert latvian.status_code == 201 and latvian.json()["organisation"]["id"] != pk
    assert Organisation.objects.count() == 2


def test_the_platform_finds_the_id_then_reports_the_companys_events_by_it(
    api: KeyClient,
) -> None:
    pk = api.post(ORGANISATIONS, COMPANY).json()["organisation"]["id"]
    api.post(ORGANISATIONS, {"name": "Other AS", "registry_code": "999", "country": "EE"})
    found = api.get(ORGANISATIONS, {"registry_code": "12345678", "country": "EE"})
    assert found.status_code == 200
    assert [row["id"] for row in found.json()["results"]] == [pk]
    converted = api.post("/api/v1/events/conversion/", {"organisation": pk, "on": "2026-01-15"})
    assert converted.status_code == 201, converted.json()
    read = api.get(f"{ORGANISATIONS}{pk}/")
    assert read.status_code == 200
    assert read.json()["status"] == OrganisationStatus.PAYING
    assert api.get(ORGANISATIONS, {"status": "paying"}).json()["results"] == [read.json()]


def test_bad_input_is_a_400_naming_the_field(api: KeyClient) -> None:
    cases = [
        ({"registry_code": "1"}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "X", "country": "XX"}, "country"),
        ({"name": "X", "country": "ee"}, "country"),  # ISO 3166-1 as the schema's enum says
        ({"name": 0}, "name"),
        ({"name": "X", "registry_code": 12345678}, "registry_code"),
        ({"name": "X", "status": "client"}, "status"),
        ({"name": "X" * 201}, "name"),
    ]
    for body, field in cases:
        response = api.post(ORGANISATIONS, body)
        assert response.status_code == 400, (body, response.json())
        assert field in response.json()["error"]["fields"], (body, response.json())
    assert api.post(ORGANISATIONS, ["not", "an", "object"]).status_code == 400
    assert api.get(f"{ORGANISATIONS}987654/").status_code == 404
    assert not Organisation.objects.exists()


def test_scopes_decide_who_reads_and_who_writes(client: Client, admin_user: User) -> None:
    _, reader = make_key(admin_user, [Scope.SUBJECTS_READ])
    _, consent_only = make_key(admin_user, [Scope.CONSENT_READ])
    assert KeyClient(client, reader).get(ORGANISATIONS).status_code == 200
    assert KeyClient(client, reader).post(ORGANISATIONS, COMPANY).status_code == 403
    assert KeyClient(client, consent_only).get(ORGANISATIONS).status_code == 403
    assert Client().get(ORGANISATIONS).status_code in {401, 403}
    assert not Organisation.objects.exists()


def test_a_retry_with_the_same_idempotency_key_creates_one_company(api: KeyClient) -> None:
    first = api.post(ORGANISATIONS, {"name": "No code OÜ"}, **{"Idempotency-Key": "org-1"})
    again = api.post(ORGANISATIONS, {"name": "No code OÜ"}, **{"Idempotency-Key": "org-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Organisation.objects.count() == 1
    other = api.post(ORGANISATIONS, {"name": "Another OÜ"}, **{"Idempotency-Key": "org-1"})
    assert other.status_code == 409
