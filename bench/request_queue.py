"""Benchmark of the daily pages at scale.

Fills a PostgreSQL database with 1 000 000 data-subject requests (50 000 open) and 100 000
subjects, one of whom has 2 000 records, then loads the DPO's queue (first and last page),
one request's page and that person's page through Django's test client, 50 times each. For
each page it prints median, p95 and the query count, next to a **baseline measured in the
same run**: the page's main query alone, as raw SQL on the same connection (what the page
cannot be faster than), and the ratio of their medians — refused when the baseline's loads,
cut in three consecutive blocks, differ from block to block by over 20 %
(`bench/_measure.py`). Ends with one machine-readable line, `BENCH request_queue key=value
…` with the machine's load before and after, which CI looks for. Every page is checked to
show what it must (the earliest due first, the latest due last, the person's newest record).

    createdb -h 127.0.0.1 -U postgres po_requests_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/po_requests_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/request_queue.py            # fills once, then measures
    .venv/bin/python bench/request_queue.py --reset    # refill from scratch
    .venv/bin/python bench/request_queue.py --smoke    # tiny, seconds (CI runs it)

The fill is set-based: a handful of template rows are written through the ORM (so every
encrypted column holds real ciphertext and every blind index its digest), then cloned by
`INSERT … SELECT … FROM generate_series(…)`, with the varying columns (reference, right,
status, dates, assignee) computed in SQL; the legal deadlines come from
`request_deadline()`, once per distinct day of receipt, joined in from a temporary table.
A million requests take about a minute this way.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import _setup  # noqa: F401  (first: the project root on sys.path, Django set up)
from _measure import Bench, block_medians, page_bench_arguments
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.models import Model, QuerySet
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.timezone import localtime
from django_otp import DEVICE_ID_SESSION_KEY

from core.models import Authenticator
from core.timeutil import legal_zone
from subject_requests.deadlines import request_deadline
from subject_requests.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    EntryKind,
    SubjectRequest,
    TimelineEntry,
)
from subject_requests.selectors import requests_for_queue
from subject_requests.views.requests import QUEUE_PAGE_SIZE
from subjects.models import Communication, DataSubject, UsageRecord
from subjects.selectors import RECORDS_PAGE_SIZE

TYPES = [
    "access",
    "copy",
    "rectification",
    "erasure",
    "restriction",
    "portability",
    "objection_marketing",
    "objection_processing",
    "information",
]
CHANNELS = ["web", "web", "web", "email", "letter", "phone"]
# --smoke: three queue pages of open requests, so the first and the last page differ.
SMOKE = {
    "subjects": 300,
    "requests": 400,
    "open": 3 * QUEUE_PAGE_SIZE,
    "person_records": 40,
    "loads": 3,
}
# The person's records: communications and usage, as a long-standing user accumulates them.
PERSON_EMAIL = "bench-person@bench.example"


class BenchFailed(SystemExit):
    """A benchmark whose data or pages are not what it claims to measure."""

    def __init__(self, message: str) -> None:
        super().__init__(f"bench/request_queue.py: {message}")


def clone(
    model: type[Model],
    *,
    template: Model,
    source: str,
    overrides: dict[str, str],
    params: list[Any],
) -> int:
    """INSERT one row per row of `source` (a FROM clause), copying every column of `template`
    except the primary key and the `overrides` (column → SQL expression)."""
    table = connection.ops.quote_name(model._meta.db_table)
    columns = [f.column for f in model._meta.concrete_fields if not f.primary_key]
    unknown = set(overrides) - set(columns)
    if unknown:
        raise BenchFailed(f"{model.__name__} has no column {sorted(unknown)}")
    values = [overrides.get(column, f't."{column}"') for column in columns]
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({names}) "
            f"SELECT {', '.join(values)} FROM {source} "
            f"CROSS JOIN (SELECT * FROM {table} WHERE id = %s) AS t",
            [*params, template.pk],
        )
        return int(cursor.rowcount)


def literal(sql: str, params: Any) -> str:
    """SQL with its parameters bound (psycopg's own quoting), for an override expression."""
    with connection.cursor() as cursor:
        return str(cursor.mogrify(sql, params).decode())


def sql_array(values: list[Any], cast: str) -> str:
    return literal(f"(ARRAY[{', '.join(['%s'] * len(values))}]::{cast}[])", values)


def deadline_table(first: dt.date, last: dt.date) -> None:
    """bench_deadline(day, due_at, target_at): `request_deadline` of each day of receipt,
    computed once per day in Python and joined in by the clone."""
    zone = legal_zone()
    rows = []
    day = first
    while day <= last:
        fields = request_deadline(dt.datetime.combine(day, dt.time(12), zone)).as_fields()
        rows.append((day, fields["due_at"], fields["target_at"]))
        day += dt.timedelta(days=1)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_deadline (day date PRIMARY KEY, due_at timestamptz, "
            "target_at timestamptz) ON COMMIT DROP"
        )
        cursor.executemany("INSERT INTO bench_deadline VALUES (%s, %s, %s)", rows)


def fill_subjects(*, subjects: int, now: dt.datetime) -> None:
    started = time.perf_counter()
    template = DataSubject.objects.create(
        kind="user", first_name="Bench", last_name="Person", position="Analyst", collected_at=now
    )
    # No e-mail on the clones: its blind index would be the same on every row.
    clone(
        DataSubject,
        template=template,
        source="generate_series(1, %s) AS g(n)",
        overrides={"work_email": "NULL", "work_email_index": "NULL"},
        params=[subjects - 1],
    )
    print(f"subjects: {subjects} in {time.perf_counter() - started:.1f} s")


def fill_requests(
    *, requests: int, open_requests: int, assignees: list[Any], now: dt.datetime
) -> None:
    started = time.perf_counter()
    closed_count = requests - open_requests
    template = SubjectRequest.objects.create(
        reference="DSR-TEMPLATE",
        type="access",
        channel="web",
        status=OPEN_STATUSES[0],
        requester_name="Requester Bench",
        requester_email="requester@bench.example",
        description="Please tell me what you hold about me.",
        received_at=now,
        **request_deadline(now).as_fields(),
        created_at=now,
    )
    # Closed requests spread over five years; open ones over the last 40 days.
    received = (
        "CASE WHEN n >= %(closed)s"
        " THEN %(now)s - interval '40 days' * (%(requests)s - n) / %(open)s"
        " ELSE %(now)s - interval '1800 days' * (%(closed)s - n) / GREATEST(%(closed)s, 1)"
        " - interval '45 days' END"
    )
    types, channels = sql_array(TYPES, "text"), sql_array(CHANNELS, "text")
    opened, closed = (
        sql_array(list(OPEN_STATUSES), "text"),
        sql_array(list(CLOSED_STATUSES), "text"),
    )
    users = sql_array([user.pk if user else None for user in assignees], "int")
    is_open = literal("n >= %s", [closed_count])
    named = {"closed": closed_count, "now": now, "requests": requests, "open": open_requests}
    source = literal(
        f"(SELECT n, {received} AS received FROM generate_series(0, %(requests)s - 1) AS g(n))"
        " AS s JOIN bench_deadline AS d"
        " ON d.day = (s.received AT TIME ZONE 'Europe/Tallinn')::date",
        named,
    )
    with transaction.atomic():
        deadline_table(
            (now - dt.timedelta(days=1800 + 46)).astimezone(legal_zone()).date(),
            now.astimezone(legal_zone()).date(),
        )
        clone(
            SubjectRequest,
            template=template,
            source=source,
            overrides={
                "reference": "'DSR-' || extract(year FROM s.received) || '-'"
                " || lpad((n + 1)::text, 7, '0')",
                "type": f"{types}[mod(n, {len(TYPES)}) + 1]",
                "channel": f"{channels}[mod(n, {len(CHANNELS)}) + 1]",
                "status": f"CASE WHEN {is_open} THEN {opened}[mod(n, {len(OPEN_STATUSES)}) + 1]"
                f" ELSE {closed}[mod(n, {len(CLOSED_STATUSES)}) + 1] END",
                "assignee_id": f"{users}[mod(n, {len(assignees)}) + 1]",
                "received_at": "s.received",
                "due_at": "d.due_at",
                "target_at": "d.target_at",
                "closed_at": f"CASE WHEN {is_open} THEN NULL"
                " ELSE s.received + interval '20 days' END",
                "created_at": "s.received",
            },
            params=[],
        )
    print(f"requests: {requests} ({open_requests} open) in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    entries = [
        TimelineEntry.objects.create(
            request=template,
            kind=kind,
            occurred_at=now,
            summary=summary,
            body=body,
            actor_label="bench",
        )
        for kind, summary, body in (
            (EntryKind.STATUS, "Received by web form", None),
            (EntryKind.LETTER, "Acknowledgement", None),
            (EntryKind.NOTE, "Internal note", "Checked the CRM."),
        )
    ]
    statuses = sql_array(list(OPEN_STATUSES), "text")
    count = sum(
        clone(
            TimelineEntry,
            template=entry,
            source=f"(SELECT id FROM subject_requests_subjectrequest WHERE status = ANY({statuses})"
            " AND id <> %s) AS r",
            overrides={"request_id": "r.id"},
            params=[template.pk],
        )
        for entry in entries
    )
    template.delete()
    print(f"timeline: {count} entries in {time.perf_counter() - started:.1f} s")


def fill_person(*, records: int, now: dt.datetime) -> DataSubject:
    """The person whose page is measured: `records` records, half communications, half usage,
    and a few of the requests linked to them."""
    started = time.perf_counter()
    person = DataSubject.objects.create(
        kind="user",
        first_name="Long",
        last_name="Standing",
        work_email=PERSON_EMAIL,
        position="Customer",
        collected_at=now - dt.timedelta(days=2000),
    )
    message = Communication.objects.create(
        subject=person, direction="inbound", sent_at=now, subject_line="Invoice", body="Hello."
    )
    usage = UsageRecord.objects.create(
        subject=person, occurred_at=now, action="login", details={"ip": "192.0.2.1"}
    )
    half = records // 2
    for template, column in ((message, "sent_at"), (usage, "occurred_at")):
        clone(
            type(template),
            template=template,
            source="generate_series(1, %s) AS g(n)",
            overrides={column: literal("%s - interval '1 hour' * n", [now])},
            params=[(records - half if template is usage else half) - 1],
        )
    person.subject_requests.add(*SubjectRequest.objects.order_by("-id")[:5])
    print(f"person: {records} records in {time.perf_counter() - started:.1f} s")
    return person


def fill(*, subjects: int, requests: int, open_requests: int, person_records: int) -> None:
    now = timezone.now()
    user_model = get_user_model()
    dpo, _ = user_model.objects.get_or_create(username="bench-dpo", defaults={"email": "dpo@x"})
    dpo.groups.add(Group.objects.get(name="DPO"))
    staff = [user_model.objects.get_or_create(username=f"bench-staff{n}")[0] for n in range(5)]
    for user in staff:
        user.groups.add(Group.objects.get(name="Staff"))
    fill_subjects(subjects=subjects - 1, now=now)
    fill_requests(
        requests=requests, open_requests=open_requests, assignees=[dpo, *staff, None], now=now
    )
    fill_person(records=person_records, now=now)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # What autovacuum does on a live database: the statistics, and the visibility map that
        # lets the open-request count be an index-only scan.
        cursor.execute("VACUUM ANALYZE")
    print(f"analyze: {time.perf_counter() - started:.1f} s")


def reset() -> None:
    tables = [
        model._meta.db_table
        for model in (TimelineEntry, SubjectRequest, Communication, UsageRecord, DataSubject)
    ]
    # TRUNCATE, not DELETE: a million rows. The cascade reaches the consent ledger, whose
    # trigger refuses TRUNCATE: the benchmark's database is a throwaway, so this statement
    # alone runs with triggers off (`session_replication_role`, for this transaction).
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")


def timed(run: Callable[[], Any], loads: int) -> tuple[list[float], int]:
    """The milliseconds of each load, in order, and the most queries one took."""
    timings = []
    queries = 0
    for _ in range(loads):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            run()
            timings.append((time.perf_counter() - started) * 1000)
        queries = max(queries, len(captured))
    return timings, queries


def median_p95(timings: list[float]) -> tuple[float, float]:
    ordered = sorted(timings)
    return statistics.median(ordered), ordered[max(0, round(0.95 * len(ordered)) - 1)]


def page_run(client: Client, url: str, *, shows: list[str], hides: list[str]) -> Callable[[], Any]:
    page = client.get(url).content.decode()  # also warms caches and the connection
    for text in shows:
        if text not in page:
            raise BenchFailed(f"{url} does not show {text}")
    for text in hides:
        if text in page:
            raise BenchFailed(f"{url} shows {text}, which belongs on another page")

    def run() -> None:
        response = client.get(url)
        if response.status_code != 200:
            raise BenchFailed(f"{url} answered {response.status_code}")

    return run


def baseline_run(queryset: QuerySet[Any]) -> Callable[[], Any]:
    """The page's main query as raw SQL: fetch its rows, build no model."""
    sql, params = queryset.query.sql_with_params()

    def run() -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()

    return run


def logged_in_dpo() -> tuple[Client, Any]:
    # No setup_test_environment(): its instrumented template rendering copies every context
    # and would measure the test harness, not the page.
    client = Client()
    dpo = get_user_model().objects.get(username="bench-dpo")
    client.force_login(dpo)
    # The DPO's pages need the second factor: the session holds it as after a real login.
    device, _ = Authenticator.objects.get_or_create(
        user=dpo, name="bench", defaults={"confirmed": True}
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client, dpo


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=50_000)
    parser.add_argument("--person-records", type=int, default=2_000)
    parser.add_argument("--loads", type=int, default=50)
    parser.add_argument("--reset", action="store_true")
    parser.add_argument(
        "--smoke", action="store_true", help=f"a tiny size for CI, seconds: {SMOKE}"
    )
    args = page_bench_arguments(parser, SMOKE)
    bench = Bench("request_queue", smoke=args.smoke)
    wanted = (args.requests, args.open)
    person = DataSubject.objects.with_email(PERSON_EMAIL).first()
    filled = (SubjectRequest.objects.count(), SubjectRequest.objects.open().count())
    if args.reset or filled != wanted or person is None:
        reset()
        fill(
            subjects=args.subjects,
            requests=args.requests,
            open_requests=args.open,
            person_records=args.person_records,
        )
        filled = (SubjectRequest.objects.count(), SubjectRequest.objects.open().count())
        if filled != wanted:
            raise BenchFailed(f"filled {filled} (requests, open), asked {wanted}")
        person = DataSubject.objects.with_email(PERSON_EMAIL).get()

    client, dpo = logged_in_dpo()
    now = timezone.now()
    by_due = [
        str(reference)
        for reference in SubjectRequest.objects.open()
        .order_by("target_at", "id")
        .values_list("reference", flat=True)
    ]
    if len(by_due) <= QUEUE_PAGE_SIZE:
        raise BenchFailed(f"{len(by_due)} open requests fill one page: the last page is the first")
    sample = SubjectRequest.objects.get(reference=by_due[min(100, len(by_due) - 1)])
    records = person.communications.count() + person.usage_records.count()
    newest = person.communications.order_by("-sent_at").values_list("sent_at", flat=True)[0]
    requests = SubjectRequest.objects.count()
    subjects = DataSubject.objects.count()
    print(
        f"\n{requests} requests ({len(by_due)} open), {subjects} subjects, a person with "
        f"{records} records; {args.loads} loads each; {os.cpu_count()} CPUs\n"
    )
    print(
        f"{'page':<22}{'median ms':>10}{'p95 ms':>9}{'queries':>9}{'baseline p95 ms':>17}"
        f"{'ratio':>9}{'spread %':>10}"
    )
    figures: dict[str, object] = {
        "requests": requests,
        "open": len(by_due),
        "subjects": subjects,
        "person_records": records,
        "loads": args.loads,
    }
    queue = requests_for_queue(reviewer=dpo, now=now)
    last_offset = (len(by_due) - 1) // QUEUE_PAGE_SIZE * QUEUE_PAGE_SIZE
    # key, label, url, what the page must show and must not, its main query (the baseline).
    pages: list[tuple[str, str, str, list[str], list[str], QuerySet[Any]]] = [
        (
            "first_page",
            "queue, first page",
            "/requests/",
            [by_due[0], by_due[QUEUE_PAGE_SIZE - 1]],
            [by_due[QUEUE_PAGE_SIZE], by_due[-1]],
            queue[:QUEUE_PAGE_SIZE],
        ),
        (
            "last_page",
            "queue, last page",
            "/requests/?page=last",
            [by_due[-1]],
            [by_due[0]],
            # What `FromEitherEndPaginator` runs: the far end, no OFFSET.
            queue.reverse()[: len(by_due) - last_offset],
        ),
        (
            "request_page",
            "request page",
            f"/requests/{sample.pk}/",
            [str(sample.reference)],
            [],
            request_queryset(sample.pk),
        ),
        (
            "person_page",
            "person page",
            f"/subjects/{person.pk}/",
            [f"{localtime(newest):%d.%m.%Y}"],
            [],
            person.communications.order_by("-sent_at", "-id")[:RECORDS_PAGE_SIZE],
        ),
    ]
    for key, label, url, shows, hides, main_query in pages:
        page, queries = timed(page_run(client, url, shows=shows, hides=hides), args.loads)
        base, _ = timed(baseline_run(main_query), args.loads)
        (median, p95), (_, base_p95) = median_p95(page), median_p95(base)
        ratio = bench.ratio(median, block_medians(base), name=key)
        print(
            f"{label:<22}{median:>10.1f}{p95:>9.1f}{queries:>9}{base_p95:>17.1f}"
            f"{ratio!s:>9}{ratio.spread_pct:>10.1f}"
        )
        figures |= {
            f"{key}_median_ms": f"{median:.1f}",
            f"{key}_p95_ms": f"{p95:.1f}",
            f"{key}_queries": queries,
            f"{key}_baseline_p95_ms": f"{base_p95:.1f}",
            **ratio.figures(f"{key}_ratio", f"{key}_baseline_spread_pct"),
        }
    # What the last page's query cost before it was read from the far end.
    offset, _ = timed(baseline_run(queue[last_offset : last_offset + QUEUE_PAGE_SIZE]), args.loads)
    offset_p95 = median_p95(offset)[1]
    print(f"{'(last page by OFFSET)':<22}{'':>10}{'':>9}{'':>9}{offset_p95:>17.1f}")
    figures["last_page_offset_baseline_p95_ms"] = f"{offset_p95:.1f}"
    bench.line(**figures)
    bench.finish()


def request_queryset(pk: int) -> QuerySet[SubjectRequest]:
    return SubjectRequest.objects.select_related("assignee").defer("agent_proof").filter(pk=pk)


if __name__ == "__main__":
    main()
