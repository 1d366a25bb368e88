"""The DPO dashboard's figures, each one aggregate query: GROUP BY and date
truncation in the database, never a Python loop over requests. The accountability figures a
supervisory authority asks for (GDPR Art. 5(2), 12(3)) are `figures_per_right`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncWeek

from consent.models import ConsentEvent, EventKind
from core.aggregates import DaysBetween, Median
from core.timeutil import legal_date, legal_zone, start_of_legal_day
from processing.selectors import regional_storage
from retention.models import PurgeRun
from subject_requests.models import (
    OPEN_STATUSES,
    UNRESOLVED_TASKS,
    RequestType,
    Status,
    SubjectRequest,
    SystemTask,
)
from subjects.models import DataSubject

WEEKS = 26
NIGHTS = 60
# The accountability figures cover the last twelve months of requests received.
PER_RIGHT_MONTHS = 12


@dataclass(frozen=True)
class Bar:
    label: str
    values: tuple[float, ...]
    url: str = ""

    @property
    def value(self) -> float:
        return self.values[0]


def open_by_status() -> list[Bar]:
    counts = dict(
        SubjectRequest.objects.filter(status__in=OPEN_STATUSES)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    labels = dict(Status.choices)
    return [Bar(str(labels[s]), (counts.get(s, 0),), f"?status={s}") for s in OPEN_STATUSES]


# (label, days from, days to): days left until the legal due date.
DAYS_LEFT_BUCKETS = (
    ("overdue", None, 0),
    ("0–7 days", 0, 8),
    ("8–14 days", 8, 15),
    ("15–30 days", 15, 31),
    ("over 30 days", 31, None),
)


def open_by_days_left(*, now: dt.datetime) -> list[Bar]:
    """Open requests by the days left to their legal due date; "overdue" is `due_at < now`,
    as the queue's overdue filter says (`SubjectRequest.objects.overdue`)."""
    today = start_of_legal_day(legal_date(now))

    def bucket(start: int | None, end: int | None) -> Q:
        condition = Q()
        if start is None:
            return Q(due_at__lt=now)
        condition &= Q(due_at__gte=max(now, today + dt.timedelta(days=start)))
        if end is not None:
            condition &= Q(due_at__lt=today + dt.timedelta(days=end))
        return condition

    counts = SubjectRequest.objects.filter(status__in=OPEN_STATUSES).aggregate(
        **{
            f"bucket{n}": Count("id", filter=bucket(start, end))
            for n, (_label, start, end) in enumerate(DAYS_LEFT_BUCKETS)
        }
    )
    return [
        Bar(label, (counts[f"bucket{n}"],)) for n, (label, _, _) in enumerate(DAYS_LEFT_BUCKETS)
    ]


def _weeks(now: dt.datetime, count: int) -> list[dt.date]:
    this_monday = legal_date(now) - dt.timedelta(days=legal_date(now).weekday())
    return [this_monday - dt.timedelta(weeks=n) for n in range(count - 1, -1, -1)]


def received_per_week(*, now: dt.datetime, weeks: int = WEEKS) -> list[Bar]:
    mondays = _weeks(now, weeks)
    rows = (
        SubjectRequest.objects.filter(received_at__gte=start_of_legal_day(mondays[0]))
        .annotate(week=TruncWeek("received_at", tzinfo=legal_zone()))
        .values_list("week")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {_day(week): n for week, n in rows}
    return [Bar(f"{monday:%d.%m}", (counts.get(monday, 0),)) for monday in mondays]


def _day(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


@dataclass(frozen=True)
class RightFigures:
    type: str
    label: str
    received: int
    completed: int
    refused: int
    median_days: float | None


def figures_per_right(*, now: dt.datetime) -> list[RightFigures]:
    """Per right, over the requests received in the last twelve months: received, completed,
    refused, and the median days from receipt to the answer (closed completed or refused)."""
    since = now - relativedelta(months=PER_RIGHT_MONTHS)
    answered = Q(status__in=[Status.COMPLETED, Status.REJECTED], closed_at__isnull=False)
    rows = {
        row["type"]: row
        for row in SubjectRequest.objects.filter(received_at__gte=since)
        .values("type")
        .annotate(
            # Counted on `type`, not `id`: the columns the covering index `dsr_type_received`
            # holds, so PostgreSQL answers from the index alone, already grouped.
            received=Count("type"),
            completed=Count("type", filter=Q(status=Status.COMPLETED)),
            refused=Count("type", filter=Q(status=Status.REJECTED)),
            median_days=Median(DaysBetween(F("received_at"), F("closed_at")), filter=answered),
        )
        .order_by()
    }
    figures = []
    for value, label in RequestType.choices:
        row = rows.get(value, {})
        median = row.get("median_days")
        figures.append(
            RightFigures(
                type=value,
                label=str(label),
                received=row.get("received", 0),
                completed=row.get("completed", 0),
                refused=row.get("refused", 0),
                median_days=None if median is None else round(float(median), 1),
            )
        )
    return figures


def consent_per_week(*, now: dt.datetime, weeks: int = WEEKS) -> list[Bar]:
    """Withdrawals and objections per week: two values a bar."""
    mondays = _weeks(now, weeks)
    rows = (
        ConsentEvent.objects.filter(
            occurred_at__gte=start_of_legal_day(mondays[0]),
            kind__in=[EventKind.WITHDRAWN, EventKind.OBJECTED],
        )
        .annotate(week=TruncWeek("occurred_at", tzinfo=legal_zone()))
        .values_list("week", "kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {(_day(week), kind): n for week, kind, n in rows}
    return [
        Bar(
            f"{monday:%d.%m}",
            (
                counts.get((monday, EventKind.WITHDRAWN), 0),
                counts.get((monday, EventKind.OBJECTED), 0),
            ),
        )
        for monday in mondays
    ]


def purged_per_night(*, now: dt.datetime, nights: int = NIGHTS) -> list[Bar]:
    """Records removed by the real purge runs that succeeded, per night (its `as_of` day)."""
    today = legal_date(now)
    days = [today - dt.timedelta(days=n) for n in range(nights - 1, -1, -1)]
    rows = (
        PurgeRun.objects.succeeded()
        .filter(as_of__gte=days[0])
        .values_list("as_of")
        .annotate(n=Sum("total"))
        .order_by()
    )
    counts = dict(rows)
    return [Bar(f"{day:%d.%m}", (counts.get(day, 0) or 0,)) for day in days]


def open_tasks_per_system() -> list[Bar]:
    rows = (
        SystemTask.objects.filter(status__in=UNRESOLVED_TASKS)
        .values_list("system__name")
        .annotate(n=Count("id"))
        .order_by("-n", "system__name")
    )
    return [Bar(name, (n,)) for name, n in rows]


def people_by_storage() -> list[Bar]:
    """People in use by where their data is stored: counted per country in the
    database, the countries mapped to locations by the register's transfers."""
    storage = regional_storage()
    per_location: dict[str, int] = {}
    rows = DataSubject.objects.active().values_list("country").annotate(n=Count("id")).order_by()
    for country, n in rows:
        for location in storage.locations_for(str(country or "")):
            per_location[location] = per_location.get(location, 0) + n
    return [Bar(location, (n,)) for location, n in sorted(per_location.items())]


@dataclass
class Chart:
    """A chart's bars and everything to draw it; `series` names each value of a bar."""

    key: str
    title: str
    bars: list[Bar]
    series: list[str] = field(default_factory=lambda: ["count"])
    unit: str = ""
