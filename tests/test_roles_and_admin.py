from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from core.permissions import Role
from tests.factories import DataSubjectFactory
from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db


def test_the_four_roles_exist_after_migrate_and_seeding_is_idempotent() -> None:
    assert set(Group.objects.values_list("name", flat=True)) >= {r.value for r in Role}
    call_command("seed_policy")
    call_command("seed_policy")
    assert Group.objects.filter(name__in=[r.value for r in Role]).count() == 4


def test_the_beat_schedule_is_stored_after_migrate() -> None:
    purge = PeriodicTask.objects.get(name="nightly-purge")
    assert purge.task == "retention.tasks.nightly_purge"
    assert (purge.crontab.hour, purge.crontab.minute) == ("2", "0")
    assert str(purge.crontab.timezone) == "Europe/Tallinn"


def test_seeding_never_overwrites_a_time_admin_changed() -> None:
    purge = PeriodicTask.objects.get(name="nightly-purge")
    purge.crontab.hour = "1"
    purge.crontab.save()
    call_command("seed_policy")
    assert PeriodicTask.objects.get(name="nightly-purge").crontab.hour == "1"


def test_the_django_admin_is_for_admin_only(
    client_for: ClientFor, admin_user: User, dpo: User
) -> None:
    admin_user.is_staff = True
    admin_user.save()
    assert client_for(admin_user).get("/admin/").status_code == 200
    assert client_for(dpo).get("/admin/").status_code == 403


def test_personal_data_is_read_only_in_the_admin(client_for: ClientFor, admin_user: User) -> None:
    admin_user.is_staff = True
    admin_user.save()
    subject = DataSubjectFactory.create(first_name="Mari")
    client = client_for(admin_user)
    page = client.get(f"/admin/subjects/datasubject/{subject.pk}/change/")
    assert page.status_code == 200
    assert b'name="first_name"' not in page.content
    response = client.post(
        f"/admin/subjects/datasubject/{subject.pk}/change/", {"first_name": "Changed"}
    )
    assert response.status_code == 403
    subject.refresh_from_db()
    assert subject.first_name == "Mari"
    assert client.get("/admin/subjects/datasubject/add/").status_code == 403
