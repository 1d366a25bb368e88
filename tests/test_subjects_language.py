"""A person's preferred language: recorded by the DPO, used by every e-mail to them."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from subjects.models import DataSubject
from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db


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


def test_the_dpo_records_and_changes_a_persons_preferred_language_through_the_form(
    client_for: ClientFor, dpo: User
) -> None:
    client = client_for(dpo)
    client.post("/subjects/new/", _form(preferred_language="lv"))
    subject = DataSubject.objects.get()
    assert subject.preferred_language == "lv"
    assert "Latviešu" in client.get(subject.get_absolute_url()).content.decode()
    edit = client.get(f"/subjects/{subject.pk}/edit/")
    assert edit.context["form"].initial["preferred_language"] == "lv"
    client.post(f"/subjects/{subject.pk}/edit/", _form(preferred_language=""))
    subject.refresh_from_db()
    assert subject.preferred_language == ""
    page = client.get(subject.get_absolute_url()).content.decode()
    assert "not known: e-mails guess it from the country" in page
