from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.models import AuditEvent
from subjects.models import DataSubject, KindChange, OrganisationStatus, SubjectKind
from tests.factories import (
    ClaimFactory,
    CommunicationFactory,
    DataSubjectFactory,
    DemoFactory,
    InvoiceFactory,
    OrganisationFactory,
    ProspectFactory,
    UsageRecordFactory,
)
from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
BIRTH = dt.date(1983, 7, 14)
USAGE_ACTION = "exported-board-pack-7731"


@pytest.fixture
def client_person(seeded: None) -> DataSubject:
    subject = DataSubjectFactory.create(
        kind=SubjectKind.CLIENT,
        first_name="Kadri",
        last_name="Saar",
        work_email="kadri.saar@acme.example",
        work_phone="+372 5550 1234",
        work_address="Pärnu mnt 12, Tallinn",
        date_of_birth=BIRTH,
        photo=PNG,
        photo_content_type="image/png",
        position="Chief Financial Officer",
        country="SG",
    )
    KindChange.objects.create(subject=subject, kind=subject.kind, changed_on=dt.date(2024, 1, 1))
    UsageRecordFactory.create(subject=subject, action=USAGE_ACTION)
    CommunicationFactory.create(subject=subject, subject_line="Invoice question 42")
    InvoiceFactory.create(billing_contact=subject, organisation=subject.organisation)
    ClaimFactory.create(subject=subject, description="Disputed invoice 2023")
    return subject


# --- least privilege ----------------------------------------------------------------------------


def test_the_dpo_sees_every_category_records_storage_purposes_and_holders(
    client_for: ClientFor, dpo: User, client_person: DataSubject
) -> None:
    response = client_for(dpo).get(client_person.get_absolute_url())
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    html = response.content.decode()
    for expected in (
        "14.07.1983",
        "data:image/png;base64,",
        "Pärnu mnt 12, Tallinn",
        "Chief Financial Officer",
        USAGE_ACTION,
        "Invoice question 42",
        "Disputed invoice 2023",
        "Conclude and perform the contract",
        "Auditors",
        "Cloud storage (Australia)",
        "Standard contractual clauses",
    ):
        assert expected in html, expected
    assert '<span class="badge">AU</span>' in html


def test_staff_see_name_contact_only_and_never_the_date_of_birth_or_usage(
    client_for: ClientFor, staff: User, client_person: DataSubject
) -> None:
    response = client_for(staff).get(client_person.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "Kadri" in html
    assert "kadri.saar@acme.example" in html
    assert "+372 5550 1234" in html
    for hidden in (
        "1983-07-14",
        "14.07.1983",
        "Jul. 14, 1983",
        "July 14, 1983",
        "base64",
        "Pärnu mnt",
        "Chief Financial Officer",
        USAGE_ACTION,
        "Invoice question 42",
        "Disputed invoice",
        "Cloud storage (Australia)",
        "Who looked",
    ):
        assert hidden not in html, hidden


@pytest.mark.parametrize("persona", ["auditor", "admin_user", "outsider"])
def test_roles_without_subject_access_get_no_personal_data(
    client_for: ClientFor, client_person: DataSubject, persona: str, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(persona)
    for url in (client_person.get_absolute_url(), "/subjects/?q=Kadri"):
        response = client_for(user).get(url)
        assert response.status_code == 403
        assert "Kadri" not in response.content.decode()


def test_an_anonymous_visitor_is_sent_to_log_in(client: Client, client_person: DataSubject) -> None:
    response = client.get(client_person.get_absolute_url())
    assert response.status_code == 302
    assert "/login/" in response["Location"]


# --- viewed audit event ---------------------------------------------------------------------------


def test_opening_a_subjects_page_writes_a_viewed_event_the_dpo_sees(
    client_for: ClientFor, staff: User, dpo: User, client_person: DataSubject
) -> None:
    client_for(staff).get(client_person.get_absolute_url())
    event = AuditEvent.objects.get(action="subject.viewed", actor=staff)
    assert event.target_type == "subjects.datasubject"
    assert event.target_id == str(client_person.pk)
    assert "Kadri" not in str(event.details)

    html = client_for(dpo).get(client_person.get_absolute_url()).content.decode()
    trail = html[html.index('id="who-looked"') :]
    assert ">staff<" in trail
    assert ">dpo<" in trail
    assert AuditEvent.objects.filter(action="subject.viewed").count() == 2


def test_a_missing_subject_is_a_404_not_a_500(client_for: ClientFor, dpo: User) -> None:
    assert client_for(dpo).get("/subjects/999999/").status_code == 404


# --- list -------------------------------------------------------------------------------------


def test_the_list_finds_a_person_by_exact_email_through_the_blind_index(
    client_for: ClientFor, staff: User, seeded: None
) -> None:
    DataSubjectFactory.create(
        first_name="Anu", last_name="Kask", work_email="anu.kask@firm.example"
    )
    DataSubjectFactory.create(first_name="Other", last_name="Person")
    html = client_for(staff).get("/subjects/", {"q": " ANU.KASK@firm.example "}).content.decode()
    assert "Kask" in html
    assert "Person" not in html
    partial = client_for(staff).get("/subjects/", {"q": "anu.kask@firm"}).content.decode()
    assert "Kask" not in partial
    assert "Nobody matches" in partial


def test_the_list_searches_names_and_organisations_and_filters(
    client_for: ClientFor, dpo: User, seeded: None
) -> None:
    acme = OrganisationFactory.create(name="Acme Analytics OÜ", status=OrganisationStatus.TRIAL)
    DataSubjectFactory.create(first_name="Liis", last_name="Mets", organisation=acme, country="FI")
    DataSubjectFactory.create(first_name="Jaan", last_name="Mets", country="EE")
    ProspectFactory.create(first_name="Tiit", last_name="Lepp", country="AU")
    client = client_for(dpo)

    def names(**params: str) -> str:
        return client.get("/subjects/", params).content.decode()

    assert "Liis" in names(q="acme") and "Jaan" not in names(q="acme")
    both = names(q="mets")
    assert "Liis" in both and "Jaan" in both
    assert "Liis" in names(q="liis mets") and "Jaan" not in names(q="liis mets")
    assert "Tiit" in names(kind="prospect") and "Liis" not in names(kind="prospect")
    assert "Tiit" in names(country="AU") and "Jaan" not in names(country="AU")
    assert "Liis" in names(organisation_status="trial") and "Jaan" not in names(
        organisation_status="trial"
    )


def test_a_bad_filter_value_re_displays_the_list_with_a_message(
    client_for: ClientFor, dpo: User, seeded: None
) -> None:
    response = client_for(dpo).get("/subjects/", {"kind": "wizard", "page": "nonsense"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def _list_queries(client: Client) -> int:
    client.get("/subjects/")  # warm: what every page caches (the alarms) is not the list's
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/subjects/")
    assert response.status_code == 200
    return len(queries)


def test_the_list_takes_the_same_number_of_queries_for_10_and_500_subjects(
    client_for: ClientFor, dpo: User, seeded: None
) -> None:
    client = client_for(dpo)
    # Each person in an organisation of their own, so a lazy organisation lookup would show.
    DataSubjectFactory.create_batch(10)
    small = _list_queries(client)
    DataSubjectFactory.create_batch(490)
    assert DataSubject.objects.count() == 500
    large = _list_queries(client)
    assert small == large


def test_the_list_is_paginated_by_50(client_for: ClientFor, dpo: User, seeded: None) -> None:
    DataSubjectFactory.create_batch(51, organisation=OrganisationFactory.create())
    html = client_for(dpo).get("/subjects/").content.decode()
    assert html.count('href="/subjects/') - html.count('href="/subjects/new') >= 50
    assert "Page 1 of 2" in html


def test_the_empty_list_says_so(client_for: ClientFor, dpo: User, seeded: None) -> None:
    assert "No data subjects yet." in client_for(dpo).get("/subjects/").content.decode()


# --- records pagination -------------------------------------------------------------------------


def test_each_record_list_is_paginated_on_its_own(
    client_for: ClientFor, dpo: User, seeded: None
) -> None:
    subject = DataSubjectFactory.create()
    for n in range(12):
        UsageRecordFactory.create(subject=subject, action=f"usage-action-{n:02d}")
    DemoFactory.create(subject=subject)
    html = client_for(dpo).get(subject.get_absolute_url()).content.decode()
    assert "Page 1 of 2 (12 in all)" in html
    assert "usage_page=2" in html
    second = client_for(dpo).get(subject.get_absolute_url(), {"usage_page": "2"})
    assert second.content.decode().count("usage-action-") == 2


# --- create and edit -------------------------------------------------------------------------


def _form(**fields: Any) -> dict[str, Any]:
    data = {
        "kind": "user",
        "first_name": "Rein",
        "last_name": "Ruut",
        "work_email": "rein.ruut@firm.example",
        "country": "EE",
        "source": "subject",
    }
    data.update(fields)
    return data


@time_machine.travel(dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC), tick=False)
def test_the_dpo_creates_a_person_through_the_form(client_for: ClientFor, dpo: User) -> None:
    organisation = OrganisationFactory.create(name="Firm AS", registry_code="10203040")
    response = client_for(dpo).post(
        "/subjects/new/",
        _form(
            organisation="10203040",
            date_of_birth="1990-01-02",
            photo=SimpleUploadedFile("me.png", PNG, content_type="image/png"),
        ),
    )
    subject = DataSubject.objects.get()
    assert response.status_code == 302
    assert response["Location"] == subject.get_absolute_url()
    assert subject.organisation == organisation
    assert subject.photo == PNG
    assert AuditEvent.objects.filter(action="subject.created", actor=dpo).exists()


@time_machine.travel(dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC), tick=False)
def test_the_form_re_displays_the_under_18_refusal_next_to_the_date_of_birth(
    client_for: ClientFor, dpo: User
) -> None:
    response = client_for(dpo).post("/subjects/new/", _form(date_of_birth="2008-03-11"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "under 18" in html
    assert 'value="Rein"' in html
    assert not DataSubject.objects.exists()


def test_the_form_re_displays_minimisation_and_photo_errors(
    client_for: ClientFor, dpo: User, seeded: None
) -> None:
    response = client_for(dpo).post(
        "/subjects/new/",
        _form(
            kind="prospect",
            work_address="Somewhere 1",
            photo=SimpleUploadedFile("me.gif", b"GIF89a....", content_type="image/gif"),
        ),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Prospects and prospect representatives get no work address" in html
    assert "Prospects and prospect representatives get no photo" in html
    assert not DataSubject.objects.exists()


def test_an_unknown_organisation_is_a_form_error(
    client_for: ClientFor, dpo: User, seeded: None
) -> None:
    response = client_for(dpo).post("/subjects/new/", _form(organisation="Nobody Ltd"))
    assert "No organisation has this name" in response.content.decode()


def test_saving_an_untouched_edit_form_changes_nothing(
    client_for: ClientFor, dpo: User, client_person: DataSubject
) -> None:
    client = client_for(dpo)
    form = client.get(f"/subjects/{client_person.pk}/edit/")
    initial = form.context["form"].initial
    data = {k: ("" if v is None else v) for k, v in initial.items()}
    response = client.post(f"/subjects/{client_person.pk}/edit/", data)
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="subject.updated").exists()


def test_staff_cannot_open_the_forms(
    client_for: ClientFor, staff: User, client_person: DataSubject
) -> None:
    client = client_for(staff)
    assert client.get("/subjects/new/").status_code == 403
    assert client.get(f"/subjects/{client_person.pk}/edit/").status_code == 403
    assert client.post(f"/subjects/{client_person.pk}/legal-hold/", {}).status_code == 403


def test_lifting_a_legal_hold_needs_confirmation(
    client_for: ClientFor, dpo: User, client_person: DataSubject
) -> None:
    client = client_for(dpo)
    url = f"/subjects/{client_person.pk}/legal-hold/"
    response = client.post(
        url, {"set": "1", "legal_hold_reason": "Court case", "legal_hold_review_on": "2099-01-01"}
    )
    assert response.status_code == 302
    unconfirmed = client.post(url, {"lift": "1"})
    assert "Tick the box to confirm." in unconfirmed.content.decode()
    assert DataSubject.objects.get(pk=client_person.pk).on_legal_hold
    client.post(url, {"lift": "1", "confirm": "on"})
    assert not DataSubject.objects.get(pk=client_person.pk).on_legal_hold


def test_an_organisation_page_lists_its_people_and_changes_status_with_confirmation(
    client_for: ClientFor, dpo: User, seeded: None
) -> None:
    organisation = OrganisationFactory.create(name="Trial Co", status=OrganisationStatus.TRIAL)
    piret = ProspectFactory.create(organisation=organisation, first_name="Piret")
    client = client_for(dpo)
    assert "Piret" in client.get(f"/subjects/organisations/{organisation.pk}/").content.decode()
    url = f"/subjects/organisations/{organisation.pk}/status/"
    assert "Tick the box" in client.post(url, {"status": "paying"}).content.decode()
    assert client.post(url, {"status": "paying", "confirm": "on"}).status_code == 302
    organisation.refresh_from_db()
    assert organisation.status == OrganisationStatus.PAYING
    assert DataSubject.objects.get(pk=piret.pk).kind == SubjectKind.CLIENT


# --- organisation list -------------------------------------------------------------------------


def _organisations(client: Client, **params: str) -> str:
    response = client.get("/subjects/organisations/", params)
    assert response.status_code == 200
    return response.content.decode()


def test_the_organisation_list_searches_name_and_registry_code_and_filters(
    client_for: ClientFor, dpo: User, seeded: None
) -> None:
    OrganisationFactory.create(name="Acme AS", registry_code="11112222", country="EE")
    OrganisationFactory.create(
        name="Baltic Trial SIA", registry_code="40003", country="LV", status="trial"
    )
    OrganisationFactory.create(
        name="Held Firm OÜ",
        registry_code="99990000",
        country="EE",
        legal_hold_reason="Court case 2-25-1",
        legal_hold_review_on=dt.date(2026, 3, 31),
    )
    client = client_for(dpo)

    assert "Acme AS" in _organisations(client, q="acme")
    assert "Baltic Trial" not in _organisations(client, q="acme")
    assert "Acme AS" in _organisations(client, q="1111")
    assert "Held Firm" not in _organisations(client, q="1111")
    trial = _organisations(client, status="trial")
    assert "Baltic Trial" in trial and "Acme AS" not in trial
    latvian = _organisations(client, country="LV")
    assert "Baltic Trial" in latvian and "Held Firm" not in latvian
    held = _organisations(client, on_legal_hold="on")
    assert "Held Firm" in held and "Acme AS" not in held
    assert "legal hold" in held and "review 31.03.2026" in held


def test_the_organisation_list_counts_the_active_people_of_each_organisation(
    client_for: ClientFor, dpo: User, seeded: None
) -> None:
    organisation = OrganisationFactory.create(name="Counted OÜ")
    DataSubjectFactory.create_batch(3, organisation=organisation)
    DataSubjectFactory.create(
        organisation=organisation, anonymised_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    )
    body = _organisations(client_for(dpo))
    assert '<td class="num">3</td>' in body


def test_the_organisation_list_says_so_when_nothing_matches(
    client_for: ClientFor, dpo: User, seeded: None
) -> None:
    assert "No organisations yet." in _organisations(client_for(dpo))
    OrganisationFactory.create(name="Acme AS")
    assert "No organisation matches" in _organisations(client_for(dpo), q="nothing-like-it")


def _organisation_list_queries(client: Client) -> int:
    _organisations(client)  # warm: what every page caches (the alarms) is not the list's
    with CaptureQueriesContext(connection) as queries:
        _organisations(client)
    return len(queries)


def test_the_organisation_list_takes_the_same_number_of_queries_for_5_and_60_organisations(
    client_for: ClientFor, dpo: User, seeded: None
) -> None:
    client = client_for(dpo)
    # Two people each, so a people count per row would show as extra queries.
    for organisation in OrganisationFactory.create_batch(5):
        DataSubjectFactory.create_batch(2, organisation=organisation)
    small = _organisation_list_queries(client)
    for organisation in OrganisationFactory.create_batch(55):
        DataSubjectFactory.create_batch(2, organisation=organisation)
    large = _organisation_list_queries(client)
    assert small == large


def test_the_organisation_list_is_paginated_by_50(
    client_for: ClientFor, dpo: User, seeded: None
) -> None:
    OrganisationFactory.create_batch(51)
    client = client_for(dpo)
    first = _organisations(client)
    assert len(re.findall(r'href="/subjects/organisations/\d+/"', first)) == 50
    assert "Page 1 of 2" in first
    second = _organisations(client, page="2")
    assert len(re.findall(r'href="/subjects/organisations/\d+/"', second)) == 1


def test_the_dpo_gets_the_add_button_and_staff_only_the_list(
    client_for: ClientFor, dpo: User, staff: User, seeded: None
) -> None:
    OrganisationFactory.create(name="Acme AS")
    assert "Add an organisation" in _organisations(client_for(dpo))
    as_staff = _organisations(client_for(staff))
    assert "Acme AS" in as_staff and "Add an organisation" not in as_staff


def test_the_organisation_list_is_audited_without_the_search_text(
    client_for: ClientFor, dpo: User, seeded: None
) -> None:
    _organisations(client_for(dpo), q="Acme", status="paying")
    event = AuditEvent.objects.get(action="organisations.listed")
    assert event.actor == dpo
    assert event.details["filters"] == ["status", "text"]
    assert "Acme" not in str(event.details)


def test_the_people_list_links_to_the_organisation_list(
    client_for: ClientFor, staff: User, seeded: None
) -> None:
    body = client_for(staff).get("/subjects/").content.decode()
    assert 'href="/subjects/organisations/"' in body


def test_a_review_date_the_service_refuses_is_a_form_error_not_a_crash(
    client_for: ClientFor, dpo: User, client_person: DataSubject
) -> None:
    # The form takes any date; the service refuses one not in the future.
    response = client_for(dpo).post(
        f"/subjects/{client_person.pk}/legal-hold/",
        {"set": "1", "legal_hold_reason": "Court case", "legal_hold_review_on": "2001-01-01"},
    )
    assert response.status_code == 200
    assert "The review date must be in the future." in response.content.decode()
    assert not DataSubject.objects.get(pk=client_person.pk).on_legal_hold
