"""A stored target day beside the legal due day.

Until now `due_at` ended the unrolled day (period end + paused days): exactly what the target
is. So the target takes that value, and `due_at` becomes the legal deadline: rolled forward
when its day is a Saturday, Sunday or public holiday (Regulation 1182/71 Art. 3(4)). Closed
requests are rolled too, so the register states the deadline the law set.

Set-based: the days that roll to one working day form a run (Saturday–Sunday → Monday), so each
run is one `WHEN` of a `CASE`. An UPDATE takes a bounded number of runs; a run of years of
requests is a few statements, each one pass over the table.
"""

from __future__ import annotations

import datetime as dt
from functools import reduce
from operator import or_
from typing import Any

from django.db import migrations, models
from django.db.models import Case, F, Max, Min, Q, Value, When

# 50 runs (≈ a year of weekends) per UPDATE keeps the statement's CASE and OR list far below
# SQLite's expression-depth limit of 1000.
RUNS_PER_UPDATE = 50


def days_off_runs(first: dt.date, last: dt.date) -> list[tuple[dt.date, dt.date]]:
    """(first day off, the working day it rolls to) for each run of days off in the span."""
    from core.timeutil import is_working_day, next_working_day_on_or_after

    runs = []
    day = first
    while day <= last:
        if is_working_day(day):
            day += dt.timedelta(days=1)
            continue
        rolled = next_working_day_on_or_after(day)
        runs.append((day, rolled))
        day = rolled + dt.timedelta(days=1)
    return runs


def backfill(apps: Any, schema_editor: Any) -> None:
    from core.timeutil import end_of_legal_day, legal_date, start_of_legal_day

    SubjectRequest = apps.get_model("subject_requests", "SubjectRequest")
    requests = SubjectRequest.objects.using(schema_editor.connection.alias)
    requests.update(target_at=F("due_at"))
    span = requests.aggregate(first=Min("due_at"), last=Max("due_at"))
    if span["first"] is None:
        return
    runs = days_off_runs(legal_date(span["first"]), legal_date(span["last"]))
    for start in range(0, len(runs), RUNS_PER_UPDATE):
        chunk = runs[start : start + RUNS_PER_UPDATE]
        ranges = [
            (Q(due_at__gte=start_of_legal_day(off), due_at__lt=start_of_legal_day(work)), work)
            for off, work in chunk
        ]
        requests.filter(reduce(or_, (where for where, _work in ranges))).update(
            due_at=Case(
                *(When(where, then=Value(end_of_legal_day(work))) for where, work in ranges),
                output_field=models.DateTimeField(),
            )
        )


def unroll(apps: Any, schema_editor: Any) -> None:
    SubjectRequest = apps.get_model("subject_requests", "SubjectRequest")
    SubjectRequest.objects.using(schema_editor.connection.alias).update(due_at=F("target_at"))


class Migration(migrations.Migration):
    dependencies = [("subject_requests", "0002_seed_retention_rule")]

    operations = [
        migrations.AddField(
            model_name="subjectrequest",
            name="target_at",
            field=models.DateTimeField(null=True, verbose_name="target"),
        ),
        migrations.RunPython(backfill, unroll),
    ]
