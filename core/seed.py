from __future__ import annotations

import json
from typing import Any

from core.permissions import Role


def seed_roles(apps: Any) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role in Role:
        Group.objects.get_or_create(name=role.value)
    # The Django admin is for Admin only; it checks model permissions, so Admin holds them
    # all. Read-only admin classes still refuse changes to personal data.
    admin_group = Group.objects.get(name=Role.ADMIN.value)
    admin_group.permissions.add(*Permission.objects.all())


def seed_beat_schedule(apps: Any) -> None:
    from privacyops.beat import SCHEDULE

    try:
        PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
        CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    except LookupError:
        return
    for name, entry in SCHEDULE.items():
        if PeriodicTask.objects.filter(name=name).exists():
            continue  # Admin may have changed the time: never overwrite it.
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
