"""Benchmark of the DPO dashboard: under 300 ms at 100 000 requests.

Fills a PostgreSQL database with 100 000 requests over two years (5 000 open, the rest
answered in 1–60 days), 20 000 people, 10 000 consent events and 60 nights of purge runs,
set-based (`bulk_create` in batches), then loads the dashboard through Django's test client
and prints its median, p95 and query count beside a baseline measured in the same run: the
request queue's first page, a page of the same frame over the same table, and the ratio of
the two medians — refused when the baseline's loads, cut in three consecutive blocks, differ
from block to block by over 20 % (`bench/_measure.py`). The last line, `BENCH dashboard
key=value …`, is what CI looks for. The page is checked to show the open count it must.

    createdb -h 127.0.0.1 -U postgres po_dashboard_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/po_dashboard_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/dashboard.py            # fills once, then measures
    .venv/bin/python bench/dashboard.py --reset    # refill from scratch
    .venv/bin/python bench/dashboard.py --smoke    # tiny, seconds (CI runs it)
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

import _setup  # noqa: F401  (first: the project root on sys.path, Django set up)
from _measure import Bench, block_medians, page_bench_arguments
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

from consent.models import ConsentEvent
from core.models import Authenticator
from processing.models import Purpose
from retention.models import PurgeRun
from subject_requests.deadlines import request_deadline
from subject_requests.models import (
    OPEN_STATUSES,
    RequestType,
    SubjectRequest,
)
from subjects.models import DataSubject

# ~5 000 rows per INSERT keeps each statement well under a second on the 2-core dev box.
BATCH = 5000
TYPES = list(RequestType.values)
COUNTRIES = ["EE", "LV", "FI", "DE", "SG", "AU", "US", ""]
SMOKE = {"requests": 600, "open": 60, "subjects": 200, "consent": 100, "loads": 3}
# The figure docs/performance.md promises: the page under 300 ms at 100 000 requests.
TARGET_MS = 300


class BenchFailed(SystemExit):
    def __init__(self, message: str) -> None:
        super().__init__(f"bench/dashboard.py: {message}")


def fill(*, requests: int, open_requests: int, subjects: int, consent: int) -> None:
    now = timezone.now()
    user_model = get_user_model()
    dpo, _ = user_model.objects.get_or_create(username="bench-dpo", defaults={"email": "dpo@x"})
    dpo.groups.add(Group.objects.get(name="DPO"))

    started = time.perf_counter()
    for start in range(0, subjects, BATCH):
        DataSubject.objects.bulk_create(
            [
                DataSubject(
                    kind="user",
                    first_name=f"F{n}",
                    last_name=f"L{n}",
                    country=COUNTRIES[n % len(COUNTRIES)],
                    collected_at=now,
                )
                for n in range(start, min(start + BATCH, subjects))
            ]
        )
    print(f"subjects: {subjects} in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    closed = requests - open_requests
    for start in range(0, requests, BATCH):
        rows = []
        for n in range(start, min(start + BATCH, requests)):
            is_open = n >= closed
            received = (
                now - dt.timedelta(days=40 * (requests - n) / max(open_requests, 1))
                if is_open
                else now - dt.timedelta(days=730 * (closed - n) / max(closed, 1) + 61)
            )
            status = OPEN_STATUSES[n % 4] if is_open else ("completed", "rejected")[n % 5 == 0]
            rows.append(
                SubjectRequest(
                    reference=f"DSR-B-{n + 1:07d}",
                    type=TYPES[n % len(TYPES)],
                    channel="web",
                    status=status,
                    requester_name=f"R{n}",
                    requester_email=f"r{n}@bench.example",
                    description="",
                    received_at=received,
                    **request_deadline(received).as_fields(),
                    closed_at=None if is_open else received + dt.timedelta(days=1 + n % 60),
                    created_at=received,
                )
            )
        SubjectRequest.objects.bulk_create(rows)
    print(f"requests: {requests} ({open_requests} open) in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    purpose = Purpose.objects.get(code="direct-marketing")
    people = list(DataSubject.objects.values_list("pk", flat=True)[:consent])
    ConsentEvent.objects.bulk_create(
        [
            ConsentEvent(
                subject_id=people[n % len(people)],
                purpose=purpose,
                kind=("withdrawn", "objected", "granted")[n % 3],
                channel="web_form",
                actor_label="bench",
                occurred_at=now - dt.timedelta(hours=4 * n % (24 * 180)),
            )
            for n in range(consent)
        ],
        batch_size=BATCH,
    )
    PurgeRun.objects.bulk_create(
        [
            PurgeRun(
                status="succeeded",
                as_of=(now - dt.timedelta(days=n)).date(),
                actor_label="nightly-purge",
                started_at=now - dt.timedelta(days=n),
                finished_at=now - dt.timedelta(days=n),
                total=n * 7,
            )
            for n in range(1, 61)
        ]
    )
    print(f"consent events and purge runs in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        # As autovacuum leaves a table in service: statistics, and the visibility map that
        # lets PostgreSQL answer from an index alone.
        cursor.execute("VACUUM ANALYZE")


def reset() -> None:
    with transaction.atomic():
        SubjectRequest.objects.all()._raw_delete(connection.alias)
        PurgeRun.objects.all().delete()
    with connection.cursor() as cursor:
        # The consent ledger is append-only (a trigger refuses DELETE): a bench database is
        # thrown away whole, so its rows go with the trigger disabled for this statement.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("DELETE FROM consent_consentevent")
        cursor.execute("SET session_replication_role = DEFAULT")
    DataSubject.objects.all().delete()


def measure(client: Client, url: str, loads: int, shows: str) -> tuple[list[float], int]:
    """The milliseconds of each load, in order, and the most queries one took."""
    page = client.get(url).content.decode()  # also warms caches and the connection
    if shows not in page:
        raise BenchFailed(f"{url} does not show {shows!r}")
    timings, queries = [], 0
    for _ in range(loads):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise BenchFailed(f"{url} answered {response.status_code}")
        queries = max(queries, len(captured))
    return timings, queries


def median_p95(timings: list[float]) -> tuple[float, float]:
    ordered = sorted(timings)
    return statistics.median(ordered), ordered[max(0, round(0.95 * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=5_000)
    parser.add_argument("--subjects", type=int, default=20_000)
    parser.add_argument("--consent", type=int, default=10_000)
    parser.add_argument("--loads", type=int, default=30)
    parser.add_argument("--reset", action="store_true")
    parser.add_argument("--smoke", action="store_true", help=f"a tiny size for CI: {SMOKE}")
    args = page_bench_arguments(parser, SMOKE)
    bench = Bench("dashboard", smoke=args.smoke)
    if args.reset or SubjectRequest.objects.count() != args.requests:
        reset()
        fill(
            requests=args.requests,
            open_requests=args.open,
            subjects=args.subjects,
            consent=args.consent,
        )

    client = Client()
    dpo = get_user_model().objects.get(username="bench-dpo")
    client.force_login(dpo)
    device, _ = Authenticator.objects.get_or_create(
        user=dpo, name="bench", defaults={"confirmed": True}
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()

    open_count = SubjectRequest.objects.open().count()
    total = SubjectRequest.objects.count()
    dash, queries = measure(
        client, "/dashboard/", args.loads, f'data-testid="open-requests">{open_count}<'
    )
    base, base_queries = measure(client, "/requests/", args.loads, "DSR-B-")
    (median, p95), (base_median, base_p95) = median_p95(dash), median_p95(base)
    ratio = bench.ratio(median, block_medians(base))
    print(f"\n{total} requests ({open_count} open); {args.loads} loads each\n")
    print(f"{'page':<32}{'median ms':>10}{'p95 ms':>10}{'queries':>9}")
    print(f"{'dashboard':<32}{median:>10.1f}{p95:>10.1f}{queries:>9}")
    print(
        f"{'baseline: queue, first page':<32}{base_median:>10.1f}{base_p95:>10.1f}{base_queries:>9}"
    )
    print(f"dashboard / baseline: {ratio} (baseline's spread {ratio.spread_pct:.1f} %)")
    if not args.smoke and median > TARGET_MS:
        print(f"warning: the dashboard's median is over {TARGET_MS} ms")
    bench.line(
        requests=total,
        open=open_count,
        loads=args.loads,
        median_ms=f"{median:.1f}",
        p95_ms=f"{p95:.1f}",
        queries=queries,
        baseline_median_ms=f"{base_median:.1f}",
        **ratio.figures(),
        target_ms=TARGET_MS,
    )
    bench.finish()


if __name__ == "__main__":
    main()
