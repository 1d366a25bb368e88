"""Consent and the marketing tool through the API: grant, withdraw, object, state, may-mail,
the incremental audience, the suppression check, unsubscribe links and unsubscribes."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks

from consent import services
from consent.models import ConsentEvent, EventKind
from core.api.models import Scope
from core.models import AuditEvent
from processing.models import Purpose
from subjects.models import DataSubject
from tests.api_helpers import KeyClient, make_key
from tests.factories import DataSubjectFactory, ProspectFactory, purpose

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client: Client, admin_user: User) -> KeyClient:
    _, secret = make_key(admin_user, [Scope.CONSENT_READ, Scope.CONSENT_WRITE])
    return KeyClient(client, secret)


@pytest.fixture
def person(seeded: None) -> DataSubject:
    return DataSubjectFactory.create(kind="client", work_email="anna@example.ee")


def grant(api: KeyClient, person: DataSubject) -> Any:
    return api.post(
        "/api/v1/consent/grant/",
        {"subject": person.pk, "purpose": "direct-marketing", "wording": "Send me news"},
    )


def test_a_grant_appends_to_the_ledger_and_answers_the_new_state(
    api: KeyClient, person: DataSubject, marketing: Purpose
) -> None:
    response = grant(api, person)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"]["status"] == "granted" and body["state"]["permitted"] is True
    event = ConsentEvent.objects.get(pk=body["event"])
    assert event.channel == "api" and event.actor_label.startswith("api-key ")


def test_a_backdated_grant_is_refused_naming_the_field(
    api: KeyClient, person: DataSubject, marketing: Purpose
) -> None:
    response = api.post(
        "/api/v1/consent/grant/",
        {
            "subject": person.pk,
            "purpose": "direct-marketing",
            "wording": "Send me news",
            "occurred_at": "2019-01-01T00:00:00Z",
        },
    )
    assert response.status_code == 400
    assert "occurred_at" in response.json()["error"]["fields"]
    assert not ConsentEvent.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"wording": 0}, "wording"),  # DRF's CharField would have stored "0"
        ({"wording": ["Send me news"]}, "wording"),
        ({"evidence_text": 7}, "evidence_text"),
        ({"subject": "1"}, "subject"),  # DRF's IntegerField would have read "1"
        ({"occurred_at": "2026-11-20T10:00"}, "occurred_at"),  # RFC 3339 has seconds, offset
        ({"purpose": 1}, "purpose"),
        ({"evidence_txt": "note"}, "evidence_txt"),  # a field the schema does not name
    ],
)
def test_a_value_the_schema_refuses_is_refused_not_coerced(
    api: KeyClient, person: DataSubject, marketing: Purpose, body: dict[str, Any], field: str
) -> None:
    given = {"subject": person.pk, "purpose": "direct-marketing", "wording": "Send me news"}
    response = api.post("/api/v1/consent/grant/", given | body)
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"]
    assert not ConsentEvent.objects.exists()


def test_a_person_named_neither_way_breaks_the_schema_and_an_unknown_one_is_404(
    api: KeyClient, person: DataSubject, marketing: Purpose
) -> None:
    neither = api.post("/api/v1/consent/withdraw/", {"purpose": "direct-marketing"})
    assert neither.status_code == 400 and neither.json()["error"]["code"] == "invalid"
    for body, field in [
        ({"subject": 987654, "purpose": "direct-marketing"}, "subject"),
        ({"subject": person.pk, "purpose": "nope"}, "purpose"),
    ]:
        unknown = api.post("/api/v1/consent/withdraw/", body)
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
        assert set(unknown.json()["error"]["fields"]) == {field}


def test_withdraw_then_state_now_and_at_a_moment(
    api: KeyClient, person: DataSubject, marketing: Purpose, clock: time_machine.Traveller
) -> None:
    granted_at = grant(api, person).json()["state"]["since"]
    clock.shift(dt.timedelta(minutes=1))
    withdrawn = api.post(
        "/api/v1/consent/withdraw/", {"external_id": "nobody", "purpose": "direct-marketing"}
    )
    assert withdrawn.status_code == 404 and "subject" in withdrawn.json()["error"]["fields"]
    withdrawn = api.post(
        "/api/v1/consent/withdraw/", {"subject": person.pk, "purpose": "direct-marketing"}
    )
    assert withdrawn.json()["state"]["status"] == "withdrawn"
    states = {s["purpose"]: s for s in api.get(f"/api/v1/subjects/{person.pk}/consent/").json()}
    assert states["direct-marketing"]["status"] == "withdrawn"
    then = api.get(f"/api/v1/subjects/{person.pk}/consent/", {"at": granted_at}).json()
    assert {s["purpose"]: s["status"] for s in then}["direct-marketing"] == "granted"
    assert api.get(f"/api/v1/subjects/{person.pk}/consent/", {"at": "soon"}).status_code == 400
    assert api.get(f"/api/v1/subjects/{person.pk}/consent/", {"at": ""}).status_code == 400
    assert AuditEvent.objects.filter(action="api.consent_read").count() == 2


def test_an_objection_to_prospect_marketing_suppresses_the_address(
    api: KeyClient, seeded: None, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    prospect = ProspectFactory.create(work_email="pia@example.ee")
    response = api.post(
        "/api/v1/consent/object/", {"subject": prospect.pk, "purpose": "prospect-marketing"}
    )
    assert response.status_code == 201
    assert response.json()["state"]["status"] == "objected"
    check = api.post(
        "/api/v1/marketing/suppression-check/", {"emails": ["x@example.ee", "PIA@example.ee"]}
    )
    assert check.json() == {"suppressed": ["PIA@example.ee"]}


def test_a_key_without_consent_write_gets_403(
    client: Client, admin_user: User, person: DataSubject, marketing: Purpose
) -> None:
    _, secret = make_key(admin_user, [Scope.CONSENT_READ])
    response = grant(KeyClient(client, secret), person)
    assert response.status_code == 403
    assert not ConsentEvent.objects.exists()


def test_may_mail_answers_each_address_sent_and_no_other(
    api: KeyClient, person: DataSubject, marketing: Purpose
) -> None:
    DataSubjectFactory.create(kind="client", work_email="other@example.ee")
    grant(api, person)
    response = api.post(
        "/api/v1/consent/may-mail/",
        {"purpose": "direct-marketing", "emails": ["Anna@example.ee", "ghost@example.ee"]},
    )
    assert response.json() == {
        "results": [
            {"email": "Anna@example.ee", "may_mail": True},
            {"email": "ghost@example.ee", "may_mail": False},
        ]
    }
    too_many = api.post(
        "/api/v1/consent/may-mail/",
        {"purpose": "direct-marketing", "emails": [f"a{i}@x.ee" for i in range(1001)]},
    )
    assert too_many.status_code == 400 and "emails" in too_many.json()["error"]["fields"]


def test_the_audience_is_incremental_since_a_cursor(
    api: KeyClient, person: DataSubject, marketing: Purpose, clock: time_machine.Traveller
) -> None:
    first = api.get("/api/v1/marketing/audience/", {"purpose": "direct-marketing"}).json()
    assert first["members"] == [] and first["more"] is False
    clock.shift(dt.timedelta(minutes=1))
    grant(api, person)
    second = api.get(
        "/api/v1/marketing/audience/", {"purpose": "direct-marketing", "cursor": first["cursor"]}
    ).json()
    assert [m["id"] for m in second["members"]] == [person.pk]
    assert second["members"][0]["work_email"] == "anna@example.ee"
    clock.shift(dt.timedelta(minutes=1))
    services.withdraw_consent(subject=person, purpose=marketing, channel="email", actor="test")
    third = api.get(
        "/api/v1/marketing/audience/", {"purpose": "direct-marketing", "cursor": second["cursor"]}
    ).json()
    assert third["members"] == [] and third["removed"] == [person.pk]
    quiet = api.get(
        "/api/v1/marketing/audience/", {"purpose": "direct-marketing", "cursor": third["cursor"]}
    ).json()
    assert quiet["members"] == [] and quiet["removed"] == []
    forged = api.get(
        "/api/v1/marketing/audience/", {"purpose": "direct-marketing", "cursor": "abc"}
    )
    assert forged.status_code == 400 and "cursor" in forged.json()["error"]["fields"]
    unknown = api.get("/api/v1/marketing/audience/", {"purpose": "nope"})
    assert unknown.status_code == 404 and "purpose" in unknown.json()["error"]["fields"]


def test_the_audience_pages_through_one_moment(
    api: KeyClient, marketing: Purpose, monkeypatch: pytest.MonkeyPatch
) -> None:
    from consent.api import marketing as module

    monkeypatch.setattr(module, "AUDIENCE_PAGE", 2)
    people = DataSubjectFactory.create_batch(5, kind="client")
    for p in people:
        services.grant_consent(
            subject=p, purpose=marketing, channel="web_form", actor="test", wording="news"
        )
    seen: list[int] = []
    page = api.get("/api/v1/marketing/audience/", {"purpose": "direct-marketing"}).json()
    seen += [m["id"] for m in page["members"]]
    while page["more"]:
        page = api.get(
            "/api/v1/marketing/audience/",
            {"purpose": "direct-marketing", "cursor": page["cursor"]},
        ).json()
        seen += [m["id"] for m in page["members"]]
    assert seen == [p.pk for p in people]


def test_unsubscribe_links_carry_the_rfc_8058_headers(
    api: KeyClient, person: DataSubject, marketing: Purpose, client: Client
) -> None:
    grant(api, person)
    other = DataSubjectFactory.create(kind="client")
    response = api.post(
        "/api/v1/marketing/unsubscribe-links/",
        {"purpose": "direct-marketing", "subjects": [person.pk, other.pk]},
    ).json()
    assert response["not_marketable"] == [other.pk]
    (link,) = response["links"]
    assert link["headers"] == {
        "List-Unsubscribe": f"<{link['url']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    path = link["url"].split("://", 1)[1].split("/", 1)[1]
    assert client.post(f"/{path}", {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert ConsentEvent.objects.filter(kind=EventKind.WITHDRAWN, subject=person).exists()


def test_unsubscribes_reported_back_withdraw_and_name_unknown_rows(
    api: KeyClient, person: DataSubject, marketing: Purpose
) -> None:
    grant(api, person)
    response = api.post(
        "/api/v1/marketing/unsubscribes/",
        {
            "purpose": "direct-marketing",
            "unsubscribes": [{"email": "nobody@example.ee"}, {"email": "ANNA@example.ee"}],
        },
    )
    assert response.json() == {"recorded": 1, "unchanged": 0, "unknown": [0]}
    again = api.post(
        "/api/v1/marketing/unsubscribes/",
        {"purpose": "direct-marketing", "unsubscribes": [{"email": "anna@example.ee"}]},
    )
    assert again.json() == {"recorded": 0, "unchanged": 1, "unknown": []}
    assert purpose("direct-marketing") == marketing


def test_unsubscribes_are_all_or_nothing_and_a_refused_row_is_named(
    api: KeyClient, person: DataSubject, marketing: Purpose
) -> None:
    grant(api, person)
    other = DataSubjectFactory.create(kind="client", work_email="ott@example.ee")
    grant(api, other)
    later = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    response = api.post(
        "/api/v1/marketing/unsubscribes/",
        {
            "purpose": "direct-marketing",
            "unsubscribes": [
                {"email": "anna@example.ee"},
                {"email": "ott@example.ee", "occurred_at": later},
            ],
        },
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "refused"
    assert set(error["fields"]) == {"unsubscribes"}
    assert set(error["fields"]["unsubscribes"]["1"]) == {"occurred_at"}
    # The first row's withdrawal is undone with the refused second.
    assert not ConsentEvent.objects.filter(kind=EventKind.WITHDRAWN).exists()


def test_a_persons_consent_records_come_in_the_27560_shape(
    api: KeyClient, person: DataSubject, marketing: Purpose
) -> None:
    import jsonschema

    from consent import iso27560

    grant(api, person)
    api.post("/api/v1/consent/withdraw/", {"subject": person.pk, "purpose": "direct-marketing"})
    page = api.get(f"/api/v1/subjects/{person.pk}/consent-records/").json()
    # A page of the cursor pagination, as every list of the API: an object, not an array.
    assert set(page) == {"next", "previous", "results"} and page["next"] is None
    records = page["results"]
    assert [r["eventType"] for r in records] == ["granted", "withdrawn"]
    for record in records:
        jsonschema.validate(record, iso27560.record_schema())
    assert "anna@example.ee" not in json.dumps(records)
    assert AuditEvent.objects.filter(action="api.consent_records_read").count() == 1


def test_a_persons_consent_records_come_a_page_at_a_time_in_ledger_order(
    api: KeyClient, person: DataSubject, marketing: Purpose
) -> None:
    for _ in range(2):
        grant(api, person)
        api.post("/api/v1/consent/withdraw/", {"subject": person.pk, "purpose": "direct-marketing"})
    url = f"/api/v1/subjects/{person.pk}/consent-records/"
    first = api.get(url, {"page_size": "3"}).json()
    assert len(first["results"]) == 3 and first["next"]
    second = api.get(first["next"].split("testserver", 1)[1]).json()
    assert len(second["results"]) == 1 and second["next"] is None
    ids = [r["@id"] for r in first["results"] + second["results"]]
    ledger = ConsentEvent.objects.filter(subject=person).order_by("pk").values_list("pk", flat=True)
    assert ids == [f"po:consent-record:{pk}" for pk in ledger]
    read = AuditEvent.objects.filter(action="api.consent_records_read").order_by("pk")
    assert [e.details["count"] for e in read] == [1, 1]
    assert [e.details["records"] for e in read] == [3, 1]


def test_the_ledger_exports_its_records_in_pages(
    api: KeyClient, marketing: Purpose, monkeypatch: pytest.MonkeyPatch
) -> None:
    from consent.api import records

    monkeypatch.setattr(records, "RECORDS_PAGE", 2)
    for subject in DataSubjectFactory.create_batch(3, kind="client"):
        services.grant_consent(
            subject=subject, purpose=marketing, channel="web_form", actor="test", wording="news"
        )
    first = api.get("/api/v1/consent/records/", {"purpose": "direct-marketing"}).json()
    assert "@context" in first and len(first["@graph"]) == 2 and first["next"]
    second = api.get(first["next"].split("testserver", 1)[1]).json()
    assert len(second["@graph"]) == 1 and second["next"] is None
    assert api.get("/api/v1/consent/records/", {"after": "-1"}).status_code == 400
