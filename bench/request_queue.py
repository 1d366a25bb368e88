"""Benchmark of the DPO's queue and a request's page (issue 6, item 12).

Fills a PostgreSQL database with 100 000 subjects and 100 000 requests (5 000 open), then
loads the queue's first and last page and one request's page through Django's test client,
50 times each, and prints median, p95 and the query count of each, then one machine-readable
line, `BENCH request_queue key=value …`, which CI looks for. Every page is checked to show
the requests it must (the earliest due first, the latest due last).

    createdb -h 127.0.0.1 -U postgres po_requests_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/po_requests_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/request_queue.py            # fills once, then measures
    .venv/bin/python bench/request_queue.py --reset    # refill from scratch
    .venv/bin/python bench/request_queue.py --smoke    # tiny, seconds (CI runs it)

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
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from subject_requests.deadlines import request_deadline  # noqa: E402
from subject_requests.models import (  # noqa: E402
    CLOSED_STATUSES,
    OPEN_STATUSES,
    EntryKind,
    SubjectRequest,
    TimelineEntry,
)
from subject_requests.views import QUEUE_PAGE_SIZE  # noqa: E402
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
# --smoke: three queue pages of open requests, so the first and the last page differ.
SMOKE = {"subjects": 300, "requests": 400, "open": 3 * QUEUE_PAGE_SIZE, "loads": 3}


class BenchFailed(SystemExit):
    """A benchmark whose data or pages are not what it claims to measure."""

    def __init__(self, message: str) -> None:
        super().__init__(f"bench/request_queue.py: {message}")


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


def measure(
    client: Client, url: str, loads: int, *, shows: list[str], hides: list[str]
) -> tuple[float, float, int]:
    page = client.get(url).content.decode()  # also warms caches and the connection
    for reference in shows:
        if reference not in page:
            raise BenchFailed(f"{url} does not show {reference}")
    for reference in hides:
        if reference in page:
            raise BenchFailed(f"{url} shows {reference}, which belongs on another page")
    timings = []
    queries = 0
    for _ in range(loads):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise BenchFailed(f"{url} answered {response.status_code}")
        queries = max(queries, len(captured))
    timings.sort()
    p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
    return statistics.median(timings), p95, queries


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=5_000)
    parser.add_argument("--loads", type=int, default=50)
    parser.add_argument("--reset", action="store_true")
    parser.add_argument(
        "--smoke", action="store_true", help=f"a tiny size for CI, seconds: {SMOKE}"
    )
    args = parser.parse_args()
    if args.smoke:
        vars(args).update(SMOKE)

    if connection.vendor != "postgresql":
        sys.exit("Run the benchmark on PostgreSQL: set DATABASE_URL.")
    if args.reset:
        reset()
    if SubjectRequest.objects.count() < args.requests:
        reset()
        fill(subjects=args.subjects, requests=args.requests, open_requests=args.open)
        filled = (SubjectRequest.objects.count(), SubjectRequest.objects.open().count())
        if filled != (args.requests, args.open):
            raise BenchFailed(f"filled {filled} (requests, open), asked {args.requests, args.open}")

    # No setup_test_environment(): its instrumented template rendering copies every context
    # and would measure the test harness, not the page.
    client = Client()
    dpo = get_user_model().objects.get(username="bench-dpo")
    client.force_login(dpo)
    # The DPO's pages need the second factor: the session holds it as after a real login.
    device, _ = TOTPDevice.objects.get_or_create(
        user=dpo, name="bench", defaults={"confirmed": True}
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    by_due = [
        str(reference)
        for reference in SubjectRequest.objects.open()
        .order_by("target_at", "id")
        .values_list("reference", flat=True)
    ]
    if len(by_due) <= QUEUE_PAGE_SIZE:
        raise BenchFailed(f"{len(by_due)} open requests fill one page: the last page is the first")
    sample = SubjectRequest.objects.get(reference=by_due[min(100, len(by_due) - 1)])
    requests = SubjectRequest.objects.count()
    subjects = DataSubject.objects.count()
    print(
        f"\n{requests} requests ({len(by_due)} open), {subjects} subjects; "
        f"{args.loads} loads each\n"
    )
    print(f"{'page':<28}{'median ms':>10}{'p95 ms':>10}{'queries':>9}")
    figures: dict[str, object] = {
        "requests": requests,
        "open": len(by_due),
        "subjects": subjects,
        "loads": args.loads,
    }
    for key, label, url, shows, hides in (
        (
            "first_page",
            "queue, first page",
            "/requests/",
            [by_due[0], by_due[QUEUE_PAGE_SIZE - 1]],
            [by_due[QUEUE_PAGE_SIZE], by_due[-1]],
        ),
        ("last_page", "queue, last page", "/requests/?page=last", [by_due[-1]], [by_due[0]]),
        ("request_page", "request page", f"/requests/{sample.pk}/", [str(sample.reference)], []),
    ):
        median, p95, queries = measure(client, url, args.loads, shows=shows, hides=hides)
        print(f"{label:<28}{median:>10.1f}{p95:>10.1f}{queries:>9}")
        figures |= {
            f"{key}_median_ms": f"{median:.1f}",
            f"{key}_p95_ms": f"{p95:.1f}",
            f"{key}_queries": queries,
        }
    print(" ".join(["BENCH request_queue", *(f"{k}={v}" for k, v in figures.items())]))


if __name__ == "__main__":
    main()
