"""Pausing the nightly purge is a portal action: an Admin (or the DPO) pauses it with a reason,
audited, the DPO e-mailed; every page that speaks of tonight's purge says it is paused, since
when and by whom, whether it was paused here or switched off in the Django admin; a pause
older than a day is an alarm for the DPO and the Admin; resuming turns it on again."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django_celery_beat.models import PeriodicTask

from core.models import AuditEvent
from retention.models import PurgePause
from retention.pause import NIGHTLY_PURGE

pytestmark = pytest.mark.django_db

NOTICE = 'data-testid="purge-paused"'
# The pages that speak of tonight's purge, and who opens them.
PAGES = ["/retention/", "/retention/rules/", "/dashboard/", "/"]


def entry() -> PeriodicTask:
    return PeriodicTask.objects.get(name=NIGHTLY_PURGE)


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_admin_pauses_the_purge_with_a_reason_and_every_page_of_tonight_says_so(
    seeded: None, admin_user: User, dpo: User, django_capture_on_commit_callbacks: Any
) -> None:
    dpo.email = "dpo@operator.example"
    dpo.save()
    admin = logged_in(admin_user)
    form = admin.get("/retention/pause/").content.decode()
    assert "records would go" in form or "record would go" in form
    with django_capture_on_commit_callbacks(execute=True):
        done = admin.post("/retention/pause/", {"reason": "Restoring last night's backup"})
    assert done.status_code == 302 and done["Location"] == "/retention/"
    assert entry().enabled is False
    pause = PurgePause.objects.get()
    assert pause.paused_by == admin_user and pause.reason == "Restoring last night's backup"
    event = AuditEvent.objects.get(action="retention.purge_paused")
    assert event.actor == admin_user and event.details == {"reason": pause.reason}
    (told,) = mail.outbox
    assert told.to == ["dpo@operator.example"] and "Restoring last night's backup" in told.body
    for client, pages in ((logged_in(dpo), PAGES), (admin, ["/retention/", "/retention/rules/"])):
        for path in pages:
            page = client.get(path).content.decode()
            assert NOTICE in page or "The nightly purge is paused since" in page, path
            assert "by admin" in page, path
    # Not an alarm yet: paused on purpose, and for less than a day.
    assert 'class="alarm"' not in logged_in(dpo).get("/retention/").content.decode()


def test_a_pause_without_a_reason_is_refused_and_changes_nothing(
    seeded: None, admin_user: User
) -> None:
    page = logged_in(admin_user).post("/retention/pause/", {"reason": "   "})
    assert page.status_code == 200
    assert "Say why the purge pauses" in page.content.decode()
    assert entry().enabled is True and not PurgePause.objects.exists()
    assert not AuditEvent.objects.filter(action="retention.purge_paused").exists()


def test_resuming_turns_the_purge_on_again_and_closes_the_pause(
    seeded: None, admin_user: User, dpo: User
) -> None:
    logged_in(admin_user).post("/retention/pause/", {"reason": "Migration"})
    client = logged_in(dpo)
    assert "Migration" in client.get("/retention/resume/").content.decode()
    assert client.post("/retention/resume/").status_code == 302
    assert entry().enabled is True
    pause = PurgePause.objects.get()
    assert pause.resumed_by == dpo and pause.resumed_at is not None
    assert AuditEvent.objects.filter(action="retention.purge_resumed", actor=dpo).exists()
    assert NOTICE not in client.get("/retention/").content.decode()
    assert "Pause the nightly purge" in client.get("/retention/").content.decode()


def test_a_purge_switched_off_in_the_django_admin_shows_as_paused_there(
    seeded: None, dpo: User
) -> None:
    task = entry()
    task.enabled = False
    task.save()
    page = logged_in(dpo).get("/retention/").content.decode()
    assert NOTICE in page and "someone in the Django admin" in page
    assert "Resume the nightly purge" in page


def test_a_pause_older_than_a_day_is_an_alarm_for_the_dpo_and_the_admin_only(
    seeded: None, admin_user: User, dpo: User, staff: User, auditor: User
) -> None:
    started = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(started, tick=False):
        logged_in(admin_user).post("/retention/pause/", {"reason": "Audit of the rules"})
        assert 'role="alert"' not in logged_in(dpo).get("/subjects/").content.decode()
    with time_machine.travel(started + dt.timedelta(days=1, minutes=1), tick=False):
        for user in (dpo, admin_user):
            page = logged_in(user).get("/retention/rules/").content.decode()
            assert "The nightly purge is paused since" in page.split("<main", 1)[0], user
        for user in (staff, auditor):
            page = logged_in(user).get("/").content.decode()
            assert "The nightly purge is paused since" not in page.split("<main", 1)[0], user


def test_the_preview_tells_the_schedules_own_time(seeded: None, dpo: User) -> None:
    task = entry()
    assert task.crontab is not None
    task.crontab.hour, task.crontab.minute = "1", "30"
    task.crontab.save()
    page = logged_in(dpo).get("/retention/").content.decode()
    assert "The nightly job runs at 01:30 Tallinn time" in page


@pytest.mark.parametrize("who", ["staff", "auditor"])
def test_only_the_dpo_and_the_admin_may_pause_or_resume(
    seeded: None, who: str, staff: User, auditor: User
) -> None:
    client = logged_in({"staff": staff, "auditor": auditor}[who])
    assert client.post("/retention/pause/", {"reason": "x"}).status_code == 403
    assert client.post("/retention/resume/").status_code == 403
    assert entry().enabled is True
