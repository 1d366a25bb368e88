from __future__ import annotations

import json
from typing import Any

from core.permissions import ROLE_KEY_APP, ROLE_KEYS, Role, role_key_name


def seed_roles(apps: Any) -> None:
    """Each role's key (`core.permissions.ROLE_KEYS`) and a group, named as the role, holding
    it. A role is found again by its key, never by a group's name: a group an Admin renamed
    keeps its role and gets no twin, and a group of the role's name that an Admin took the key
    from stays without it."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_type, _ = ContentType.objects.get_or_create(app_label=ROLE_KEY_APP, model="rolekey")
    keys = {}
    for role, codename in ROLE_KEYS.items():
        keys[role], _ = Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": role_key_name(role)}
        )
        if Group.objects.filter(permissions=keys[role]).exists():
            continue
        group, created = Group.objects.get_or_create(name=role.value)
        if created:
            group.permissions.add(keys[role])
    # The Django admin is for Admin only; it checks model permissions, so Admin holds them
    # all but the other roles' keys. Read-only admin classes still refuse changes to personal
    # data.
    every_model_permission = Permission.objects.exclude(content_type=content_type)
    for admin_group in Group.objects.filter(permissions=keys[Role.ADMIN]):
        admin_group.permissions.add(*every_model_permission)


def seed_beat_schedule(apps: Any) -> None:
    from privacyops.beat import SCHEDULE

    try:
        PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
        CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    except LookupError:
        return
    for name, entry in SCHEDULE.items():
        # Found by its task, never by its name: an Admin may rename an entry or change its
        # time, and neither is overwritten nor given a twin.
        if PeriodicTask.objects.filter(task=entry["task"]).exists():
            continue
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=entry["minute"],
            hour=entry["hour"],
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone="Europe/Tallinn",
        )
        PeriodicTask.objects.create(
            name=name,
            task=entry["task"],
            crontab=crontab,
            kwargs=json.dumps({}),
            description=entry["why"],
        )


def seed_policy(apps: Any) -> None:
    seed_roles(apps)
    seed_beat_schedule(apps)
