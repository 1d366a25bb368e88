"""The migration that encrypts names, positions and reasons in place: the
rows already stored are encrypted and get their name tokens, and the way back gives the clear
text back."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from core.crypto import is_current, name_token_digests
from subjects.models import DataSubject, NameToken, Organisation
from tests.migrating import migrate

BEFORE = [("subjects", "0006_seed_erasure_requests_rule")]


def raw(table: str, pk: int, *columns: str) -> tuple[Any, ...]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE id = %s", [pk])
        row = cursor.fetchone()
    return tuple(row)


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_stored_names_builds_their_tokens_and_goes_back() -> None:
    old = migrate(BEFORE).loader.project_state(BEFORE).apps
    now = timezone.now()
    held = old.get_model("subjects", "Organisation").objects.create(
        name="Hold Co", legal_hold_reason="Claim of Jaan Tamm", created_at=now
    )
    person = old.get_model("subjects", "DataSubject").objects.create(
        kind="user", first_name="Rūta", last_name="Bērziņa-Kalniņa", position="CFO",
        restriction_reason="Contests her address", organisation=held, collected_at=now,
        created_at=now,
    )  # fmt: skip
    blank = old.get_model("subjects", "DataSubject").objects.create(
        kind="other", collected_at=now, created_at=now
    )
    columns = ("first_name", "last_name", "position", "restriction_reason", "legal_hold_reason")

    migrate()
    stored = raw("subjects_datasubject", person.pk, *columns)
    assert all(is_current(v.encode()) for v in stored[:4]) and stored[4] is None
    assert raw("subjects_datasubject", blank.pk, *columns) == (None,) * 5
    assert is_current(raw("subjects_organisation", held.pk, "legal_hold_reason")[0].encode())
    fresh = DataSubject.objects.get(pk=person.pk)
    assert (fresh.first_name, fresh.last_name, fresh.position) == (
        "Rūta", "Bērziņa-Kalniņa", "CFO",
    )  # fmt: skip
    assert set(NameToken.objects.filter(subject=fresh).values_list("digest", flat=True)) == {
        *name_token_digests("Rūta"), *name_token_digests("Bērziņa-Kalniņa"),
    }  # fmt: skip
    assert list(DataSubject.objects.search("ruta kalnina")) == [fresh]
    assert not NameToken.objects.filter(subject_id=blank.pk).exists()
    # The hold is still a hold, read through its encrypted reason.
    assert Organisation.objects.get(pk=held.pk).on_legal_hold
    assert list(DataSubject.objects.held().values_list("pk", flat=True)) == [person.pk]

    migrate(BEFORE)
    assert raw("subjects_datasubject", person.pk, *columns) == (
        "Rūta", "Bērziņa-Kalniņa", "CFO", "Contests her address", "",
    )  # fmt: skip
    assert raw("subjects_datasubject", blank.pk, *columns) == ("",) * 5
    assert raw("subjects_organisation", held.pk, "legal_hold_reason") == ("Claim of Jaan Tamm",)
    migrate()
