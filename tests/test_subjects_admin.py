from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User

from subjects.models import DataSubject
from tests.factories import DataSubjectFactory
from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db


def test_the_admin_shows_a_subjects_structure_but_no_encrypted_values_and_refuses_changes(
    seeded: None, client_for: ClientFor, admin_user: User
) -> None:
    subject = DataSubjectFactory.create(
        work_email="hidden.person@firm.example", date_of_birth=dt.date(1970, 6, 5)
    )
    client = client_for(admin_user)
    listing = client.get("/admin/subjects/datasubject/")
    assert listing.status_code == 200
    page = client.get(f"/admin/subjects/datasubject/{subject.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "hidden.person" not in html
    assert "1970" not in html
    response = client.post(
        f"/admin/subjects/datasubject/{subject.pk}/change/", {"first_name": "Changed"}
    )
    assert response.status_code == 403
    assert DataSubject.objects.get(pk=subject.pk).first_name != "Changed"
    assert client.get("/admin/subjects/datasubject/add/").status_code == 403
