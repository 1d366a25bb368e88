"""The beat schedule's crontab page in the Django admin refuses what the scheduler cannot read.

django-celery-beat's own form checks a crontab only on the model, after the typed values are
on the row, and its page then describes that row with celery's parser: "-1" in a field answered
500. This form parses each field as the scheduler will (`celery.schedules.crontab`) before it
reaches the row, and shows the refusal next to the field. The page describes a row it cannot
parse (stored before) in words instead of failing. The portal's own writes of a crontab, the
seeded schedule (`privacyops.beat`), are held to the same parser by a test; pausing the purge
changes only its entry's `enabled`.

The admin class registered for the crontab (django-celery-beat's, with core's audit in front,
`core.admin_audit`) stays underneath: this module, imported by `retention.admin` after `core`'s
admin is loaded, registers a subclass of it.
"""

from __future__ import annotations

from typing import Any

from celery.schedules import ParseException, crontab
from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_celery_beat.models import CrontabSchedule

from core.generics import AnyModelForm

# Each field the scheduler parses, and what it takes.
CRONTAB_FIELDS = {
    "minute": gettext_lazy("0–59"),
    "hour": gettext_lazy("0–23"),
    "day_of_month": gettext_lazy("1–31"),
    "month_of_year": gettext_lazy("1–12"),
    "day_of_week": gettext_lazy("0–6 (Sunday is 0) or mon–sun"),
}


def crontab_field_problem(name: str, value: str) -> str | None:
    """Why the scheduler could not read `value` in the crontab field `name`, or None."""
    try:
        crontab(**{name: value})
    except (ValueError, ParseException) as refused:
        return _(
            "“%(value)s” is not a valid %(field)s (%(reason)s): use %(range)s, “*”, a list "
            "(1,15), a range (1-5) or a step (*/15)."
        ) % {
            "value": value,
            "field": name.replace("_", " "),
            "reason": refused,
            "range": CRONTAB_FIELDS[name],
        }
    return None


class CrontabScheduleForm(AnyModelForm):
    class Meta:
        model = CrontabSchedule
        fields = [*CRONTAB_FIELDS, "timezone"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in CRONTAB_FIELDS:
            value = cleaned.get(name)
            if value is not None and (problem := crontab_field_problem(name, value)):
                self.add_error(name, problem)
        return cleaned


def readable_schedule(schedule: CrontabSchedule) -> str:
    try:
        return str(schedule.human_readable)
    # celery's parser and cron-descriptor each raise their own: whichever refuses the row,
    # the page shows it and says so.
    except Exception:
        return _("Not a schedule the scheduler can read: correct its fields.")


@admin.display(description=gettext_lazy("human readable"))
def _human_readable(model_admin: object, schedule: CrontabSchedule) -> str:
    return readable_schedule(schedule)


def guard_crontab_admin(site: admin.AdminSite) -> None:
    """Register, for the crontab, a subclass of the admin class registered for it (the
    readable description as a method of the admin comes before the model's own)."""
    registered = type(site._registry[CrontabSchedule])
    guarded = type(
        f"Guarded{registered.__name__}",
        (registered,),
        {"form": CrontabScheduleForm, "human_readable": _human_readable, "__module__": __name__},
    )
    site.unregister(CrontabSchedule)
    site.register(CrontabSchedule, guarded)


guard_crontab_admin(admin.site)
