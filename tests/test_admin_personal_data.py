"""The Django admin shows the Admin no person's data. Its views are not audited and the Admin
holds no `subjects.*` permission: a person is "Person #<id> (<kind>)" on every page of the
admin and in its log, and no search box finds a person by what identifies them. (Reading a
person is done on the portal's pages, where each look is logged.)"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.db.models import Model
from django.test import Client, RequestFactory
from django.urls import reverse

from consent.models import ConsentEvent
from subjects.admin import StructureOnlyAdmin
from subjects.models import DataSubject, TrialContent
from tests.reports_helpers import canary

pytestmark = pytest.mark.django_db

TAG = "Qwv"
# The canary's date of birth (29 February 1980) as a page could print it.
BIRTH_DATES = ("1980-02-29", "Feb. 29, 1980", "February 29, 1980", "29.02.1980", "29 Feb 1980")


@pytest.fixture
def person(seeded: None) -> tuple[DataSubject, list[str]]:
    """The canary, with a row in every model that refers to a person, and every value that
    identifies them."""
    person, marks = canary(TAG)
    # A trial content is named by its title: a distinctive one, to see it is not.
    TrialContent.objects.filter(author=person).update(title=f"{TAG}title")
    return person, [*marks.values(), f"{TAG}title", *BIRTH_DATES]


@pytest.fixture
def admin_client(client: Client, admin_user: User) -> Client:
    client.force_login(admin_user)  # with the second factor (tests/conftest.py)
    return client


def admin_pages(user: User) -> Iterator[str]:
    """The index; every registered model's list; its add page, and for its latest row (the
    canary's, where the model refers to a person) the change, history and delete pages,
    each where the Admin may open it."""
    request = RequestFactory().get("/admin/")
    request.user = user
    yield reverse("admin:index")
    for model, model_admin in admin.site._registry.items():
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        yield reverse(f"{name}_changelist")
        if model_admin.has_add_permission(request):
            yield reverse(f"{name}_add")
        row = model._default_manager.order_by("-pk").first()
        if row is not None:
            yield reverse(f"{name}_change", args=[row.pk])
            yield reverse(f"{name}_history", args=[row.pk])
            if model_admin.has_delete_permission(request, row):
                yield reverse(f"{name}_delete", args=[row.pk])


def test_no_page_of_the_admin_shows_the_admin_a_persons_data(
    person: tuple[DataSubject, list[str]], admin_client: Client, admin_user: User
) -> None:
    subject, identifying = person
    shown = {}
    for url in admin_pages(admin_user):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        if found := [value for value in identifying if value in html]:
            shown[url] = found
    assert shown == {}
    # The pages name the person by id and kind instead.
    label = f"Person #{subject.pk} (Client)"
    page = admin_client.get(f"/admin/subjects/datasubject/{subject.pk}/change/")
    assert f"<title>{label} | View data subject" in page.content.decode()
    history = admin_client.get(f"/admin/subjects/datasubject/{subject.pk}/history/")
    assert f"Change history: {label}" in history.content.decode()
    event = ConsentEvent.objects.filter(subject=subject).latest("pk")
    assert (
        label
        in admin_client.get(f"/admin/consent/consentevent/{event.pk}/change/").content.decode()
    )


def test_no_search_box_of_the_admin_finds_a_person(
    person: tuple[DataSubject, list[str]], admin_client: Client
) -> None:
    subject, _ = person
    for model, model_admin in admin.site._registry.items():
        if not model_admin.search_fields:
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for query in (subject.first_name, subject.last_name, subject.work_email):
            found = admin_client.get(url, {"q": query}).context["cl"].result_count
            assert found == 0, (url, query)


def test_the_admins_log_names_a_person_by_id_and_kind(
    person: tuple[DataSubject, list[str]], admin_user: User
) -> None:
    subject, _ = person
    request = RequestFactory().post("/admin/")
    request.user = admin_user
    model_admin = admin.site._registry[DataSubject]
    model_admin.log_change(request, subject, [])
    model_admin.log_deletions(request, DataSubject.objects.filter(pk=subject.pk))
    logged = LogEntry.objects.filter(object_id=str(subject.pk))
    assert (
        sorted(logged.values_list("object_repr", flat=True))
        == [f"Person #{subject.pk} (Client)"] * 2
    )


def test_every_model_that_refers_to_a_person_is_shown_by_id_and_kind() -> None:
    """A row that holds a person shows them through `StructureOnlyAdmin`: a new admin of a
    model with a link to a person cannot print the person's name (their `str()`)."""
    referring = [
        model
        for model in admin.site._registry
        if any(
            field.is_relation and not field.auto_created and field.related_model is DataSubject
            for field in model._meta.get_fields()
        )
    ]
    assert DataSubject in admin.site._registry and referring
    shown: list[type[Model]] = [DataSubject, *referring]
    assert [
        model._meta.label
        for model in shown
        if not isinstance(admin.site._registry[model], StructureOnlyAdmin)
    ] == []
