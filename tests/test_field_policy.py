"""One field policy for a person's fields (`subjects.field_policy`): the person's page, the
API's list, detail and write answers, and the CSV export of people show each reader exactly
its fields; a key that may only write reads nothing stored back, and its write is audited
naming the person it touched."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from consent import exports
from core.api.models import Scope
from core.models import AuditEvent
from subjects.field_policy import markdown_table
from subjects.models import DataSubject, SubjectKind
from tests.api_helpers import KeyClient, make_key
from tests.factories import DataSubjectFactory
from tests.fixture_types import ClientFor
from tests.responses import streamed

pytestmark = pytest.mark.django_db

SUBJECTS = "/api/v1/subjects/"
BULK = "/api/v1/subjects/bulk/"
BIRTH = dt.date(1979, 2, 11)
# What the API shows of a person, by reader, written out rather than read from the policy.
EVERY = {
    "id", "external_id", "kind", "first_name", "last_name", "date_of_birth", "work_address",
    "work_phone", "work_email", "organisation", "position", "country", "preferred_language",
    "source", "collected_at", "informed_at", "created_at", "updated_at",
}  # fmt: skip
STAFF = {"id", "kind", "first_name", "last_name", "work_email", "work_phone", "organisation"}
STAFF |= {"country"}
# Stored values no reader but the DPO and a `subjects:read` key may see.
HIDDEN_FROM_STAFF = ("1979-02-11", "Tartu mnt 5", "Head of Security", "u-77")


@pytest.fixture
def person(seeded: None) -> DataSubject:
    return DataSubjectFactory.create(
        kind=SubjectKind.CLIENT,
        external_id="u-77",
        first_name="Liis",
        last_name="Kask",
        work_email="liis.kask@firm.example",
        work_phone="+372 5551 7777",
        work_address="Tartu mnt 5, Tallinn",
        date_of_birth=BIRTH,
        position="Head of Security",
    )


def _key_client(client: Client, admin_user: User, *scopes: str) -> KeyClient:
    return KeyClient(client, make_key(admin_user, list(scopes))[1])


# --- reads ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "shown"), [("dpo", EVERY), ("staff", STAFF)])
def test_a_session_reads_through_the_api_exactly_the_fields_its_role_shows(
    client_for: ClientFor, person: DataSubject, persona: str, shown: set[str], request: Any
) -> None:
    client = client_for(request.getfixturevalue(persona))
    listed = client.get(SUBJECTS)
    assert listed.status_code == 200
    (row,) = listed.json()["results"]
    assert set(row) == shown
    detail = client.get(f"{SUBJECTS}{person.pk}/")
    assert detail.status_code == 200 and set(detail.json()) == shown
    if persona == "staff":
        for body in (listed.content.decode(), detail.content.decode()):
            assert "liis.kask@firm.example" in body
            assert not [value for value in HIDDEN_FROM_STAFF if value in body]


@pytest.mark.parametrize("persona", ["auditor", "admin_user"])
def test_a_role_without_people_reads_none_through_the_api(
    client_for: ClientFor, person: DataSubject, persona: str, request: Any
) -> None:
    client = client_for(request.getfixturevalue(persona))
    for url in (SUBJECTS, f"{SUBJECTS}{person.pk}/"):
        response = client.get(url)
        assert response.status_code == 403 and "Liis" not in response.content.decode()


@pytest.mark.parametrize("scope", [s for s in Scope.values if s != Scope.SUBJECTS_READ])
def test_a_key_without_subjects_read_reads_no_person(
    client: Client, admin_user: User, person: DataSubject, scope: str
) -> None:
    api = _key_client(client, admin_user, scope)
    for url in (SUBJECTS, f"{SUBJECTS}{person.pk}/"):
        response = api.get(url)
        assert response.status_code == 403 and "Liis" not in response.content.decode()


def test_a_key_with_subjects_read_reads_every_field_the_api_carries(
    client: Client, admin_user: User, person: DataSubject
) -> None:
    api = _key_client(client, admin_user, Scope.SUBJECTS_READ)
    assert set(api.get(SUBJECTS).json()["results"][0]) == EVERY
    detail = api.get(f"{SUBJECTS}{person.pk}/").json()
    assert set(detail) == EVERY and detail["date_of_birth"] == "1979-02-11"


@pytest.mark.parametrize(
    ("parameter", "value"),
    [("external_id", "u-77"), ("updated_since", "2000-01-01T00:00:00Z")],
)
def test_staff_may_not_filter_on_a_field_they_do_not_see(
    client_for: ClientFor, staff: User, person: DataSubject, parameter: str, value: str
) -> None:
    """A filter answers whether the hidden value matches: it would read the field."""
    response = client_for(staff).get(SUBJECTS, {parameter: value})
    assert response.status_code == 400
    assert parameter in response.json()["error"]["fields"]
    assert client_for(staff).get(SUBJECTS, {"kind": "client"}).status_code == 200


def test_every_filter_of_the_people_list_names_the_field_it_reads() -> None:
    from subjects.api.people import PersonFilter
    from subjects.api.person_answers import FILTERED_FIELDS

    assert set(PersonFilter.base_filters) == set(FILTERED_FIELDS)


# --- writes ---------------------------------------------------------------------------------


def test_a_write_only_key_gets_the_id_and_no_stored_value(
    client: Client, admin_user: User, person: DataSubject
) -> None:
    api = _key_client(client, admin_user, Scope.SUBJECTS_WRITE)
    answer = api.post(SUBJECTS, {"work_email": "liis.kask@firm.example"})
    assert answer.status_code == 200, answer.json()
    assert answer.json() == {"action": "update", "person": {"id": person.pk}}
    body = answer.content.decode()
    assert not [value for value in (*HIDDEN_FROM_STAFF, "Liis", "+372") if value in body]
    assert api.get(f"{SUBJECTS}{person.pk}/").status_code == 403


def test_a_write_only_key_cannot_tell_a_stored_value_by_the_action(
    client: Client, admin_user: User, person: DataSubject
) -> None:
    """`unchanged` would say the stored date of birth is the one sent."""
    api = _key_client(client, admin_user, Scope.SUBJECTS_WRITE)
    guess = {"work_email": "liis.kask@firm.example", "date_of_birth": "1979-02-11"}
    assert api.post(SUBJECTS, guess).json()["action"] == "update"
    bulk = api.post(BULK, {"people": [guess]}).json()
    assert bulk == {"created": 0, "updated": 1, "unchanged": 0, "ids": [person.pk]}


def test_a_refusal_names_no_stored_field_a_write_only_key_may_not_read(
    client: Client, admin_user: User, person: DataSubject
) -> None:
    """A prospect may hold no date of birth: naming it would say this person has one."""
    change = {"work_email": "liis.kask@firm.example", "kind": "prospect"}
    writer = _key_client(client, admin_user, Scope.SUBJECTS_WRITE)
    refused = writer.post(SUBJECTS, change)
    assert refused.status_code == 400
    assert set(refused.json()["error"]["fields"]) == {"non_field_errors"}
    assert "birth" not in refused.content.decode() and "address" not in refused.content.decode()
    bulk = writer.post(BULK, {"people": [change]})
    assert set(bulk.json()["error"]["fields"]["0"]) == {"non_field_errors"}
    reader = _key_client(client, admin_user, Scope.SUBJECTS_READ, Scope.SUBJECTS_WRITE)
    told = reader.post(SUBJECTS, change).json()["error"]["fields"]
    assert {"date_of_birth", "work_address"} <= set(told) and "non_field_errors" not in told


def test_a_key_that_may_read_gets_the_whole_answer(
    client: Client, admin_user: User, person: DataSubject
) -> None:
    api = _key_client(client, admin_user, Scope.SUBJECTS_READ, Scope.SUBJECTS_WRITE)
    answer = api.post(SUBJECTS, {"work_email": "liis.kask@firm.example"}).json()
    assert answer["action"] == "unchanged"
    assert set(answer["person"]) == EVERY and answer["person"]["position"] == "Head of Security"
    bulk = api.post(BULK, {"people": [{"external_id": "u-77"}]}).json()
    assert bulk == {"created": 0, "updated": 0, "unchanged": 1, "ids": [person.pk]}


def test_the_dpo_session_write_answers_every_field(dpo: User, person: DataSubject) -> None:
    browser = Client()
    browser.force_login(dpo)
    answer = browser.post(SUBJECTS, {"external_id": "u-77"}, content_type="application/json").json()
    assert answer["action"] == "unchanged" and set(answer["person"]) == EVERY


def test_a_write_that_changes_nothing_is_audited_naming_the_person(
    client: Client, admin_user: User, person: DataSubject
) -> None:
    api = _key_client(client, admin_user, Scope.SUBJECTS_WRITE)
    api.post(SUBJECTS, {"work_email": "liis.kask@firm.example"})
    event = AuditEvent.objects.get(action="subjects.bulk_upserted")
    assert event.target_id == str(person.pk)
    assert event.details["unchanged"] == [person.pk]
    assert event.actor_label.startswith("api-key ")


# --- exports and the page -------------------------------------------------------------------


def test_the_export_of_people_writes_only_the_readers_columns(
    person: DataSubject, marketing: Any
) -> None:
    from subjects.field_policy import EVERY_FIELD, STAFF_FIELDS

    purpose = marketing
    people = DataSubject.objects.filter(pk=person.pk)
    for fields, hidden in ((STAFF_FIELDS, "position"), (EVERY_FIELD, "")):
        header = exports.audience_header(fields)
        (row,) = list(exports.audience_rows(people, purpose, fields=fields))
        assert len(row) == len(header)
        assert header[0] == "subject_id" and "email" in header
        if hidden:
            assert hidden not in header and "Head of Security" not in row
        else:
            assert "position" in header and "Head of Security" in row


def test_the_dpos_audience_export_follows_the_policy(
    client_for: ClientFor, dpo: User, person: DataSubject, marketing: Any
) -> None:
    from consent.services import grant_consent

    grant_consent(
        subject=person, purpose=marketing, channel="web_form", actor="test", wording="news"
    )
    response = client_for(dpo).get("/consent/audience/", {"purpose": marketing.pk})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(streamed(response).decode("utf-8-sig"))))
    assert rows[0][:2] == ["subject_id", "email"] and "position" in rows[0]
    assert rows[1][rows[0].index("position")] == "Head of Security"


def test_the_staff_page_shows_only_the_staff_fields(
    client_for: ClientFor, staff: User, person: DataSubject
) -> None:
    html = client_for(staff).get(person.get_absolute_url()).content.decode()
    assert "liis.kask@firm.example" in html and "+372 5551 7777" in html
    assert not [value for value in (*HIDDEN_FROM_STAFF, "11.02.1979") if value in html]


def test_the_admin_guide_states_the_policy_as_the_code_has_it() -> None:
    from pathlib import Path

    guide = (Path(__file__).resolve().parent.parent / "docs" / "admin-guide.md").read_text()
    assert markdown_table() in guide, (
        "run `manage.py field_policy` and paste it in docs/admin-guide.md"
    )
