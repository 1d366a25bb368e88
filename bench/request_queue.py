"""Benchmark of the DPO's queue and a request's page (issue 6, item 12).

Fills a PostgreSQL database with 100 000 subjects and 100 000 requests (5 000 open), then
loads the queue's first and last page and one request's page through Django's test client,
50 times each, and prints median, p95 and the query count of each.

    createdb -h 127.0.0.1 -U postgres po_requests_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/po_requests_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/request_queue.py            # fills once, then measures
    .venv/bin/python bench/request_queue.py --reset    # refill from scratch

Rows are made set-based (`bulk_create` in batches); encrypted values are short, so the
fill is cheap while every encrypted column still holds real ciphertext.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Run as a script, bench/ comes first on sys.path: put the project root there instead.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privacyops.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from subject_requests.deadlines import request_deadline  # noqa: E402
from subject_requests.models import (  # noqa: E402
    CLOSED_STATUSES,
    OPEN_STATUSES,
    EntryKind,
    SubjectRequest,
    TimelineEntry,
)
from subjects.models import DataSubject  # noqa: E402

# ~5 000 rows per INSERT keeps each statement well under a second on the 2-core dev box.
BATCH = 5000
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


def fill(*, subjects: int, requests: int, open_requests: int) -> None:
    now = timezone.now()
    user_model = get_user_model()
    dpo, _ = user_model.objects.get_or_create(username="bench-dpo", defaults={"email": "dpo@x"})
    dpo.groups.add(Group.objects.get(name="DPO"))
    staff = [user_model.objects.get_or_create(username=f"bench-staff{n}")[0] for n in range(5)]
    for user in staff:
        user.groups.add(Group.objects.get(name="Staff"))
    assignees = [dpo, *staff, None]

    started = time.perf_counter()
    for start in range(0, subjects, BATCH):
        DataSubject.objects.bulk_create(
            [
                DataSubject(
                    kind="user",
                    first_name=f"First{n}",
                    last_name=f"Last{n}",
                    work_email=f"p{n}@bench.example",
                    collected_at=now,
                )
                for n in range(start, min(start + BATCH, subjects))
            ]
        )
    print(f"subjects: {subjects} in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    closed_count = requests - open_requests
    for start in range(0, requests, BATCH):
        rows = []
        for n in range(start, min(start + BATCH, requests)):
            is_open = n >= closed_count
            # Closed requests spread over five years; open ones over the last 40 days.
            received = (
                now - dt.timedelta(days=40 * (requests - n) / open_requests)
                if is_open
                else now - dt.timedelta(days=1800 * (closed_count - n) / closed_count + 45)
            )
            status = OPEN_STATUSES[n % 4] if is_open else CLOSED_STATUSES[n % 4]
            rows.append(
                SubjectRequest(
                    reference=f"DSR-{received.year}-{n + 1:06d}",
                    type=TYPES[n % len(TYPES)],
                    channel=CHANNELS[n % len(CHANNELS)],
                    status=status,
                    requester_name=f"Requester {n}",
                    requester_email=f"p{n % subjects}@bench.example",
                    description="Please tell me what you hold about me.",
                    received_at=received,
                    **request_deadline(received).as_fields(),
                    assignee=assignees[n % len(assignees)],
                    closed_at=None if is_open else received + dt.timedelta(days=20),
                    created_at=received,
                )
            )
        SubjectRequest.objects.bulk_create(rows)
    print(f"requests: {requests} ({open_requests} open) in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    open_ids = list(SubjectRequest.objects.open().values_list("id", flat=True))
    entries = [
        TimelineEntry(
            request_id=pk,
            kind=kind,
            occurred_at=now,
            summary=summary,
            body=body,
            actor_label="bench",
        )
        for pk in open_ids
        for kind, summary, body in (
            (EntryKind.STATUS, "Received by web form", None),
            (EntryKind.LETTER, "Acknowledgement", None),
            (EntryKind.NOTE, "Internal note", "Checked the CRM."),
        )
    ]
    TimelineEntry.objects.bulk_create(entries, batch_size=BATCH)
    print(f"timeline: {len(entries)} entries in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def reset() -> None:
    with transaction.atomic():
        TimelineEntry.objects.all().delete()
        SubjectRequest.objects.all()._raw_delete(connection.alias)
        DataSubject.objects.all().delete()


def measure(client: Client, url: str, loads: int) -> tuple[float, float, int]:
    client.get(url)  # warm caches and the connection
    timings = []
    queries = 0
    for _ in range(loads):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries = max(queries, len(captured))
    timings.sort()
    p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
    return statistics.median(timings), p95, queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=5_000)
    parser.add_argument("--loads", type=int, default=50)
    parser.add_argument("--reset", action="store_true")
    args = parser.parse_args()

    if connection.vendor != "postgresql":
        sys.exit("Run the benchmark on PostgreSQL: set DATABASE_URL.")
    if args.reset:
        reset()
    if SubjectRequest.objects.count() < args.requests:
        reset()
        fill(subjects=args.subjects, requests=args.requests, open_requests=args.open)

    # No setup_test_environment(): its instrumented template rendering copies every context
    # and would measure the test harness, not the page.
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench-dpo"))
    sample = SubjectRequest.objects.open().order_by("target_at", "id")[100]
    print(
        f"\n{SubjectRequest.objects.count()} requests ({SubjectRequest.objects.open().count()} "
        f"open), {DataSubject.objects.count()} subjects; {args.loads} loads each\n"
    )
    print(f"{'page':<28}{'median ms':>10}{'p95 ms':>10}{'queries':>9}")
    for label, url in (
        ("queue, first page", "/requests/"),
        ("queue, last page", "/requests/?page=last"),
        ("request page", f"/requests/{sample.pk}/"),
    ):
        median, p95, queries = measure(client, url, args.loads)
        print(f"{label:<28}{median:>10.1f}{p95:>10.1f}{queries:>9}")


if __name__ == "__main__":
    main()
