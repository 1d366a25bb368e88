"""People through the API: create or update one, bulk all-or-nothing, read, guards as 400s,
idempotent replays and the 409, audit events naming the key."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from consent.services import suppress_email
from core.api.models import Scope
from core.models import AuditEvent, IdempotentReply
from subjects.models import DataSubject
from tests.api_helpers import KeyClient, make_key

pytestmark = pytest.mark.django_db

SUBJECTS = "/api/v1/subjects/"
BULK = "/api/v1/subjects/bulk/"


@pytest.fixture
def api(client: Client, admin_user: User) -> KeyClient:
    _, secret = make_key(admin_user, [Scope.SUBJECTS_READ, Scope.SUBJECTS_WRITE])
    return KeyClient(client, secret)


def person(n: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "external_id": f"u-{n}",
        "kind": "prospect",
        "first_name": "Mari",
        "last_name": "Tamm",
        "work_email": f"mari{n}@example.ee",
        **extra,
    }


def test_a_person_is_created_then_updated_by_external_id(api: KeyClient) -> None:
    created = api.post(SUBJECTS, person())
    assert created.status_code == 201, created.json()
    assert created.json()["action"] == "create"
    pk = created.json()["person"]["id"]
    updated = api.post(SUBJECTS, person(position="CTO"))
    assert updated.status_code == 200
    assert updated.json() == {**updated.json(), "action": "update"}
    assert DataSubject.objects.get(pk=pk).position == "CTO"
    event = AuditEvent.objects.filter(action="subjects.bulk_upserted").first()
    assert event is not None and event.actor_label.startswith("api-key ")


def test_a_person_is_matched_by_work_email_without_external_id(api: KeyClient) -> None:
    pk = api.post(SUBJECTS, person()).json()["person"]["id"]
    again = api.post(SUBJECTS, {"work_email": "MARI1@example.ee", "position": "CEO"})
    assert again.status_code == 200
    assert again.json()["person"]["id"] == pk


@pytest.mark.parametrize(
    ("extra", "field", "code"),
    [
        # Rules the schema lists under the field's x-rules: "refused".
        ({"kind": "client", "date_of_birth": "2020-01-01"}, "date_of_birth", "refused"),
        ({"date_of_birth": "1980-01-01"}, "date_of_birth", "refused"),  # not for prospects
        # What the schema itself refuses: "invalid".
        ({"work_email": "not-an-address"}, "work_email", "invalid"),
        ({"kind": "alien"}, "kind", "invalid"),
        ({"shoe_size": 44}, "shoe_size", "invalid"),
        ({"first_name": 7}, "first_name", "invalid"),
        ({"first_name": None}, "first_name", "invalid"),
        ({"external_id": ""}, "external_id", "invalid"),
        ({"date_of_birth": ""}, "date_of_birth", "invalid"),
        ({"date_of_birth": "19800101"}, "date_of_birth", "invalid"),  # not RFC 3339
        ({"country": "ee"}, "country", "invalid"),
        ({"country": "QQ"}, "country", "refused"),  # the shape, but no country has the code
        ({"collected_at": "2026-01-02T10:00"}, "collected_at", "invalid"),  # no offset
    ],
)
def test_the_guards_answer_400_naming_the_field(
    api: KeyClient, extra: dict[str, Any], field: str, code: str
) -> None:
    for response in (
        api.post(SUBJECTS, person(**extra)),
        api.post(BULK, {"people": [person(**extra)]}),
    ):
        assert response.status_code == 400
        error = response.json()["error"]
        fields = error["fields"].get("0", error["fields"])
        assert error["code"] == code and field in fields, error
        sent = [
            v for v in [*extra.values(), "mari1@example.ee"] if isinstance(v, str) and len(v) > 3
        ]
        assert not [value for value in sent if value in response.content.decode()], error
    assert not DataSubject.objects.exists()


def test_an_unknown_organisation_is_404_naming_the_row_and_field(api: KeyClient) -> None:
    one = api.post(SUBJECTS, person(organisation=987654))
    assert one.status_code == 404 and one.json()["error"]["fields"] == {
        "organisation": ["No such organisation."]
    }
    bulk = api.post(BULK, {"people": [person(1), person(2, organisation=987654)]})
    assert bulk.status_code == 404 and set(bulk.json()["error"]["fields"]) == {"1"}
    assert not DataSubject.objects.exists()


@pytest.mark.parametrize("value", [{}, [], 19800101, True])
def test_a_date_of_birth_that_is_not_text_is_a_400_naming_it_not_a_500(
    api: KeyClient, value: Any
) -> None:
    one = api.post(SUBJECTS, person(kind="client", date_of_birth=value))
    assert one.status_code == 400, one.content
    assert "date_of_birth" in one.json()["error"]["fields"]
    bulk = api.post(BULK, {"people": [person(kind="client", date_of_birth=value)]})
    assert bulk.status_code == 400, bulk.content
    assert "date_of_birth" in bulk.json()["error"]["fields"]["0"]
    assert not DataSubject.objects.exists()


def test_a_null_external_id_is_no_id_not_a_500(api: KeyClient) -> None:
    """The schema says the platform's id may be null: a person without one."""
    created = api.post(SUBJECTS, person(external_id=None))
    assert created.status_code == 201, created.content
    assert DataSubject.objects.get().external_id is None
    bulk = api.post(BULK, {"people": [person(2, external_id=None)]})
    assert bulk.status_code == 200, bulk.content


def test_the_services_refuse_a_date_of_birth_that_is_not_text_without_a_crash(
    admin_user: User,
) -> None:
    """The model field, not only the API, refuses a dict: the CSV import and any other caller
    of the bulk upsert reach the same field."""
    from django.core.exceptions import ValidationError

    from subjects.services.bulk import upsert_subjects

    outcome = upsert_subjects(
        rows=[person(kind="client", date_of_birth={}, collected_at=[])],
        actor=admin_user,
        source="test",
    )
    assert not outcome.applied
    assert {"date_of_birth", "collected_at"} <= set(outcome.errors[0])
    with pytest.raises(ValidationError):
        DataSubject._meta.get_field("date_of_birth").clean({}, None)


def test_a_suppressed_address_is_refused(api: KeyClient, dpo: User) -> None:
    suppress_email(email="mari1@example.ee", channel="email", actor=dpo)
    response = api.post(SUBJECTS, person())
    assert response.status_code == 400
    assert "work_email" in response.json()["error"]["fields"]


def test_the_bulk_endpoint_is_all_or_nothing_with_per_row_errors(api: KeyClient) -> None:
    rows = [person(n) for n in range(5)]
    rows[3]["date_of_birth"] = "2015-05-05"
    rows[3]["kind"] = "client"
    refused = api.post(BULK, {"people": rows})
    assert refused.status_code == 400
    assert set(refused.json()["error"]["fields"]) == {"3"}
    assert not DataSubject.objects.exists()
    del rows[3]["date_of_birth"]
    accepted = api.post(BULK, {"people": rows})
    assert accepted.status_code == 200, accepted.json()
    assert accepted.json()["created"] == 5 and len(accepted.json()["ids"]) == 5
    assert DataSubject.objects.count() == 5
    assert AuditEvent.objects.filter(action="subjects.bulk_upserted").count() == 1


@pytest.mark.parametrize("body", [{"people": []}, {"people": "x"}, {"people": [1]}, [], {}])
def test_a_malformed_bulk_body_is_400(api: KeyClient, body: Any) -> None:
    response = api.post(BULK, body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_a_retry_with_the_same_idempotency_key_changes_nothing(api: KeyClient) -> None:
    first = api.post(SUBJECTS, person(), **{"Idempotency-Key": "k-1"})
    second = api.post(SUBJECTS, person(), **{"Idempotency-Key": "k-1"})
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert DataSubject.objects.count() == 1
    assert AuditEvent.objects.filter(action="subjects.bulk_upserted").count() == 1


def test_the_same_idempotency_key_with_another_body_is_409(api: KeyClient) -> None:
    api.post(SUBJECTS, person(), **{"Idempotency-Key": "k-2"})
    response = api.post(SUBJECTS, person(2), **{"Idempotency-Key": "k-2"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert DataSubject.objects.count() == 1


def test_a_refused_write_is_replayed_as_refused(api: KeyClient) -> None:
    bad = person(kind="client", date_of_birth="2020-01-01")
    first = api.post(SUBJECTS, bad, **{"Idempotency-Key": "k-3"})
    second = api.post(SUBJECTS, bad, **{"Idempotency-Key": "k-3"})
    assert first.status_code == second.status_code == 400
    assert IdempotentReply.objects.get().status_code == 400


def test_reads_are_audited_naming_the_key(api: KeyClient) -> None:
    pk = api.post(SUBJECTS, person()).json()["person"]["id"]
    listed = api.get(SUBJECTS, {"external_id": "u-1"})
    assert [row["id"] for row in listed.json()["results"]] == [pk]
    assert api.get(SUBJECTS, {"work_email": "mari1@example.ee"}).json()["results"][0]["id"] == pk
    assert api.get(f"{SUBJECTS}{pk}/").json()["work_email"] == "mari1@example.ee"
    events = AuditEvent.objects.filter(action="api.subjects_read")
    assert events.count() == 3
    assert all(e.actor_label.startswith("api-key ") and e.details["api_key"] for e in events)
    assert all("mari" not in str(e.details) for e in events)


def test_a_key_without_subjects_write_gets_403(client: Client, admin_user: User) -> None:
    _, secret = make_key(admin_user, [Scope.SUBJECTS_READ])
    response = KeyClient(client, secret).post(SUBJECTS, person())
    assert response.status_code == 403
    assert not DataSubject.objects.exists()


def test_the_browser_session_needs_the_csrf_token(dpo: User) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(dpo)
    refused = browser.post(SUBJECTS, person(), content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["error"]["message"]
    browser.get("/")
    token = browser.cookies["csrftoken"].value
    accepted = browser.post(
        SUBJECTS, person(), content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert accepted.status_code == 201
    event = AuditEvent.objects.get(action="subjects.bulk_upserted")
    assert event.actor_id == dpo.pk


def test_a_huge_id_is_a_4xx_not_a_500(api: KeyClient) -> None:
    assert api.get(f"{SUBJECTS}{10**30}/").status_code in (400, 404)
    assert api.get(SUBJECTS, {"organisation": str(10**30)}).status_code == 400


def test_iso_offsets_postgresql_cannot_store_are_taken_in_utc(api: KeyClient) -> None:
    created = api.post(SUBJECTS, person(collected_at="2026-01-02T10:00:00-21:09"))
    assert created.status_code == 201, created.json()
    listed = api.get(SUBJECTS, {"updated_since": "2026-01-01T00:00:00+20:30"})
    assert listed.status_code == 200 and len(listed.json()["results"]) == 1
    bad = api.post(SUBJECTS, person(2, collected_at="yesterday"))
    assert bad.status_code == 400 and "collected_at" in bad.json()["error"]["fields"]


def test_a_retry_after_the_person_was_erased_replays_neither_the_data_nor_a_creation(
    api: KeyClient, dpo: User
) -> None:
    """The stored first answer showed the person; once they are erased, a retry with the same
    key answers 410 with nothing of theirs and does not create them again. Other stored
    answers (another person's) still replay."""
    from subjects.services.erasure import erase_subjects

    key = {"Idempotency-Key": "signup-1842"}
    first = api.post(SUBJECTS, person(1), **key)
    other = api.post(SUBJECTS, person(2), **{"Idempotency-Key": "signup-1843"})
    assert first.status_code == other.status_code == 201
    pk = first.json()["person"]["id"]
    erase_subjects(subject_ids=[pk], actor=dpo, reason="GDPR Art. 17")

    retry = api.post(SUBJECTS, person(1), **key)
    assert retry.status_code == 410
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json()["error"]["code"] == "gone"
    assert "mari1@example.ee" not in retry.content.decode()
    assert not DataSubject.objects.with_email("mari1@example.ee").exists()
    stored = IdempotentReply.objects.get(idempotency_key="signup-1842")
    assert "Mari" not in (stored.body or "") and stored.shows_id == ""
    # The other person's answer is untouched.
    again = api.post(SUBJECTS, person(2), **{"Idempotency-Key": "signup-1843"})
    assert again.status_code == 201 and again.json() == other.json()


def test_a_retry_replays_nothing_of_a_person_a_claim_keeps_after_their_erasure(
    api: KeyClient, dpo: User
) -> None:
    """Kept for a claim, the person lost their date of birth and position (Art. 5(1)(c)): the
    stored answer that showed them is not replayed either."""
    from subjects.services.erasure import erase_subjects
    from tests import factories as f

    key = {"Idempotency-Key": "signup-1844"}
    first = api.post(SUBJECTS, person(1, position="Analyst"), **key)
    assert first.status_code == 201
    pk = first.json()["person"]["id"]
    f.ClaimFactory.create(subject_id=pk, closed_on=None)
    outcome = erase_subjects(subject_ids=[pk], actor=dpo, reason="GDPR Art. 17")
    assert outcome.kept_for_claims == [pk]
    retry = api.post(SUBJECTS, person(1, position="Analyst"), **key)
    assert retry.status_code == 410 and "Analyst" not in retry.content.decode()
