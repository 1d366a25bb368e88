"""What an Admin types in the Django admin cannot break the portal's pages: a data category's
list of fields and a crontab schedule are refused with a message next to the field, and a bad
value stored before the rule existed is read around, never raised into a page."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from core.models import AuditEvent
from core.timeutil import legal_today
from privacyops.beat import SCHEDULE
from processing.models import DataCategory
from processing.selectors import register_findings
from reports.collect import collect
from retention.beat_admin import crontab_field_problem
from subject_requests.services.changes import categories_of
from subjects.models import DataSubject
from tests.factories import DataSubjectFactory
from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 20, 10, 0, tzinfo=ZoneInfo("Europe/Tallinn"))


def category_post(category: DataCategory, fields: str) -> dict[str, Any]:
    return {
        "code": category.code,
        "name": category.name,
        "description": category.description,
        "fields": fields,
    }


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-1", "List the names of the person&#x27;s fields"),
        ('"x"', "List the names of the person&#x27;s fields"),
        ("[1]", "List the names of the person&#x27;s fields"),
        ('[""]', "List the names of the person&#x27;s fields"),
        ("{}", "List the names of the person&#x27;s fields"),
        ('["no_such_field"]', "Not a field of a person: no_such_field."),
        ('["first_name", "first_name"]', "Name each field once: first_name."),
    ],
)
def test_the_admin_refuses_a_category_whose_fields_are_not_a_list_of_the_persons_fields(
    seeded: None, client_for: ClientFor, admin_user: User, typed: str, message: str
) -> None:
    category = DataCategory.objects.get(code="identification")
    before = list(category.fields)
    url = f"/admin/processing/datacategory/{category.pk}/change/"
    response = client_for(admin_user).post(url, category_post(category, typed))
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["fields"]
    assert message in response.content.decode()
    category.refresh_from_db()
    assert category.fields == before


def test_the_admin_saves_a_list_of_the_persons_fields(
    seeded: None, client_for: ClientFor, admin_user: User
) -> None:
    category = DataCategory.objects.get(code="identification")
    url = f"/admin/processing/datacategory/{category.pk}/change/"
    response = client_for(admin_user).post(
        url, category_post(category, '["first_name", "last_name"]')
    )
    assert response.status_code == 302
    category.refresh_from_db()
    assert category.fields == ["first_name", "last_name"]


@pytest.mark.parametrize("stored", [-1, "x", [1], [["first_name"]], {"a": 1}])
def test_a_bad_list_stored_before_the_rule_breaks_no_persons_page(
    seeded: None, client_for: ClientFor, dpo: User, stored: object
) -> None:
    # Written past `clean()`, as a row saved before the rule existed would be.
    DataCategory.objects.filter(code="identification").update(fields=json.dumps(stored))
    DataCategory.objects.filter(code="contact").update(fields=stored)
    person = DataSubjectFactory.create(first_name="Mari", work_phone="+372 5555 0101")
    with time_machine.travel(NOW, tick=False):
        response = client_for(dpo).get(f"/subjects/{person.pk}/")
        assert response.status_code == 200
        assert "Mari" in response.content.decode()
        # The reports and rectification read the same lists.
        data = collect(DataSubject.objects.get(pk=person.pk), language="en", as_of=NOW.date())
    assert data.person
    assert categories_of(["position"]) == ["employment"]


def test_a_bad_list_stored_before_the_rule_is_a_finding_of_the_register(
    seeded: None, client_for: ClientFor, admin_user: User
) -> None:
    DataCategory.objects.filter(code="contact").update(fields=-1)
    found = [f.row for f in register_findings(today=legal_today())]
    assert [row.code for row in found if isinstance(row, DataCategory)] == ["contact"]
    html = client_for(admin_user).get("/processing/").content.decode()
    assert "List the names of the person&#x27;s fields" in html
    contact = DataCategory.objects.get(code="contact")
    assert f"/admin/processing/datacategory/{contact.pk}/change/" in html


# --- the beat schedule's crontabs --------------------------------------------------------------

CRONTAB_ADD = "/admin/django_celery_beat/crontabschedule/add/"


def crontab_post(**typed: str) -> dict[str, str]:
    return {
        "minute": "0",
        "hour": "3",
        "day_of_month": "*",
        "month_of_year": "*",
        "day_of_week": "*",
        "timezone": "Europe/Tallinn",
        # django-celery-beat lists the schedule's tasks inline.
        "periodictask_set-TOTAL_FORMS": "0",
        "periodictask_set-INITIAL_FORMS": "0",
        **typed,
    }


@pytest.mark.parametrize(
    ("field", "typed"),
    [
        ("minute", "-1"),
        ("minute", "60"),
        ("minute", ""),
        ("hour", "-1"),
        ("hour", "24"),
        ("day_of_month", "-1"),
        ("day_of_month", "0"),
        ("month_of_year", "-1"),
        ("month_of_year", "13"),
        ("day_of_week", "-1"),
        ("day_of_week", "*/0"),
    ],
)
def test_the_crontab_admin_refuses_what_the_scheduler_cannot_read(
    client_for: ClientFor, admin_user: User, field: str, typed: str
) -> None:
    client = client_for(admin_user)
    before = CrontabSchedule.objects.count()
    response = client.post(CRONTAB_ADD, crontab_post(**{field: typed}))
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == [field]
    assert CrontabSchedule.objects.count() == before
    assert not AuditEvent.objects.filter(action="django_celery_beat.crontabschedule.created")


def test_a_crontab_change_to_minus_one_keeps_the_stored_time(
    client_for: ClientFor, admin_user: User
) -> None:
    purge = PeriodicTask.objects.get(name="nightly-purge").crontab
    assert purge is not None
    url = f"/admin/django_celery_beat/crontabschedule/{purge.pk}/change/"
    response = client_for(admin_user).post(url, crontab_post(hour="-1", minute="0"))
    assert response.status_code == 200
    assert "is not a valid hour" in response.content.decode()
    purge.refresh_from_db()
    assert purge.hour == "2"


def test_a_valid_crontab_is_saved_and_audited(client_for: ClientFor, admin_user: User) -> None:
    response = client_for(admin_user).post(CRONTAB_ADD, crontab_post(minute="*/15", hour="1-5"))
    assert response.status_code == 302
    assert CrontabSchedule.objects.filter(minute="*/15", hour="1-5").exists()
    assert AuditEvent.objects.filter(action="django_celery_beat.crontabschedule.created").exists()


def test_a_crontab_stored_before_the_rule_is_listed_not_raised(
    client_for: ClientFor, admin_user: User
) -> None:
    bad = CrontabSchedule.objects.create(minute="-1", hour="3", timezone="Europe/Tallinn")
    client = client_for(admin_user)
    listing = client.get("/admin/django_celery_beat/crontabschedule/")
    assert listing.status_code == 200
    assert "Not a schedule the scheduler can read" in listing.content.decode()
    page = client.get(f"/admin/django_celery_beat/crontabschedule/{bad.pk}/change/")
    assert page.status_code == 200


@pytest.mark.parametrize("name", sorted(SCHEDULE))
def test_every_seeded_schedule_entry_is_one_the_scheduler_reads(name: str) -> None:
    entry = SCHEDULE[name]
    assert crontab_field_problem("minute", entry["minute"]) is None
    assert crontab_field_problem("hour", entry["hour"]) is None
    stored = PeriodicTask.objects.get(task=entry["task"]).crontab
    assert stored is not None
    stored.schedule  # noqa: B018 — celery parses every field here; a bad one raises
