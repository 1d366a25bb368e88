"""Changes to the system's behaviour made in the Django admin are audited: the beat schedule
(moving, disabling, enabling the nightly purge), users and their roles, groups."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from core.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client_for: Any, admin_user: Any) -> Any:
    admin_user.is_staff = True
    admin_user.save()
    return client_for(admin_user)


def form_data(client: Any, url: str) -> dict[str, Any]:
    """What the admin's change form would post back unchanged."""
    form = client.get(url).context["adminform"].form
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if field.disabled:
            continue
        subwidgets = getattr(field.widget, "widgets", None)
        if subwidgets is not None and not isinstance(value, list | tuple):
            # A split date and time posts as name_0 and name_1.
            for n, part in enumerate(field.widget.decompress(value)):
                data[f"{name}_{n}"] = "" if part is None else str(part)
        elif isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = "" if value is None else value
    return data


def test_moving_the_nightly_purge_in_the_admin_writes_an_audit_event(
    admin_client: Any, admin_user: Any
) -> None:
    purge = PeriodicTask.objects.get(name="nightly-purge")
    one_am = CrontabSchedule.objects.create(
        minute="0",
        hour="1",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Europe/Tallinn",
    )
    url = f"/admin/django_celery_beat/periodictask/{purge.pk}/change/"
    data = form_data(admin_client, url) | {"crontab": str(one_am.pk)}
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    purge.refresh_from_db()
    assert purge.crontab == one_am
    event = AuditEvent.objects.get(action="django_celery_beat.periodictask.changed")
    assert event.actor == admin_user
    assert event.target_id == str(purge.pk)
    assert event.details["via"] == "admin"
    assert event.details["fields"] == ["Crontab Schedule"]
    assert event.details["now"]["name"] == "nightly-purge"
    assert event.details["now"]["schedule"].startswith("0 1 * * *")


def test_disabling_and_enabling_the_purge_from_the_list_is_audited(
    admin_client: Any, admin_user: Any
) -> None:
    purge = PeriodicTask.objects.get(name="nightly-purge")
    for action, was, now in (("disable_tasks", True, False), ("enable_tasks", False, True)):
        response = admin_client.post(
            "/admin/django_celery_beat/periodictask/",
            {"action": action, "_selected_action": [str(purge.pk)]},
        )
        assert response.status_code == 302
        purge.refresh_from_db()
        assert purge.enabled is now
        event = AuditEvent.objects.get(action=f"django_celery_beat.periodictask.{action}")
        assert event.actor == admin_user and event.target_id == str(purge.pk)
        assert (event.details["was"]["enabled"], event.details["now"]["enabled"]) == (was, now)


def test_changing_a_crontab_is_audited(admin_client: Any) -> None:
    crontab = PeriodicTask.objects.get(name="nightly-purge").crontab
    url = f"/admin/django_celery_beat/crontabschedule/{crontab.pk}/change/"
    # The schedule's page lists the tasks using it (a read-only inline formset).
    data = form_data(admin_client, url) | {
        "hour": "3",
        "periodictask_set-TOTAL_FORMS": "0",
        "periodictask_set-INITIAL_FORMS": "0",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="django_celery_beat.crontabschedule.changed")
    assert "Hour(s)" in event.details["fields"]
    assert event.details["now"]["schedule"].startswith("0 3 * * *")


def test_giving_a_user_a_role_is_audited_without_their_name(
    admin_client: Any, admin_user: Any
) -> None:
    colleague = UserFactory.create(username="mari.maasikas", first_name="Mari")
    url = f"/admin/auth/user/{colleague.pk}/change/"
    dpo_group = Group.objects.get(name="DPO")
    data = form_data(admin_client, url) | {"groups": [str(dpo_group.pk)]}
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = AuditEvent.objects.get(action="auth.user.changed")
    assert event.actor == admin_user and event.target_id == str(colleague.pk)
    assert "Groups" in event.details["fields"]
    assert event.details["now"]["groups"] == ["DPO"]
    assert "mari" not in str(event.details).lower()


def test_deleting_a_group_is_audited(admin_client: Any) -> None:
    group = Group.objects.create(name="Temporary")
    url = f"/admin/auth/group/{group.pk}/delete/"
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    event = AuditEvent.objects.get(action="auth.group.deleted")
    assert event.target_id == str(group.pk)
    assert event.details["was"] == {"name": "Temporary", "permissions": 0}
    assert not Group.objects.filter(pk=group.pk).exists()
