"""The breach register left subject_requests for its own app keeping its tables: a breach
recorded before the move is the same breach after it, with its categories, phases and
people — and the move goes back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType

from breaches.models import Breach
from processing.models import DataCategory
from tests.factories import DataSubjectFactory, UserFactory
from tests.migrating import migrate

BEFORE = [("subject_requests", "0018_system_task_found_and_purge")]


@pytest.mark.django_db(transaction=True)
def test_a_breach_recorded_before_the_move_is_read_after_it_and_back() -> None:
    dpo = UserFactory.create(username="dpo-before-the-move")
    person = DataSubjectFactory.create()
    category = DataCategory.objects.create(code="move-test", name="Moved data")
    old = migrate(BEFORE).loader.project_state(BEFORE).apps
    aware = dt.datetime(2026, 11, 2, 8, 30, tzinfo=dt.UTC)
    breach = old.get_model("subject_requests", "Breach").objects.create(
        title="Laptop left on a train",
        aware_at=aware,
        nature="confidentiality",
        description="An unencrypted laptop",
        approx_people=1,
        approx_records=4,
        consequences="Phishing",
        measures="Wiped remotely",
        contact_point="dpo@example.com",
        recorded_by_id=dpo.pk,
    )
    breach.categories.add(category.pk)
    old.get_model("subject_requests", "BreachFollowUp").objects.create(
        breach=breach, phase=1, information="The laptop was found"
    )
    old.get_model("subject_requests", "AffectedPerson").objects.create(
        breach=breach, subject_id=person.pk
    )

    migrate()
    moved = Breach.objects.get(pk=breach.pk)
    assert (moved.title, moved.aware_at, moved.recorded_by) == (
        "Laptop left on a train", aware, dpo,
    )  # fmt: skip
    assert list(moved.categories.all()) == [category]
    assert [f.information for f in moved.follow_ups.all()] == ["The laptop was found"]
    assert [a.subject_id for a in moved.affected.all()] == [person.pk]
    assert Breach._meta.db_table == "subject_requests_breach"
    assert ContentType.objects.get_for_model(Breach).app_label == "breaches"

    migrate(BEFORE)
    back = old.get_model("subject_requests", "Breach").objects.get(pk=breach.pk)
    assert back.title == "Laptop left on a train"
    migrate()
