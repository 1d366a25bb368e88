"""Benchmark of the access report on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/po_report_bench python bench/report.py
    ... python bench/report.py --smoke     # tiny, checked (CI)

Builds the access report of (a) a typical person, 50 records of every kind together, and
(b) a heavy one: 2 000 communications, 2 000 usage records and 2 000 invoices. Each report is
built `--loads` times; prints pages, seconds (median and worst, and the median CPU seconds of
the process) and the queries of one build,
and checks the report holds the person's data and nothing of a colleague.

Goal: (a) under 1 s, (b) under 10 s. No baseline (the goals are absolute; the CPU seconds
say what the machine's load hides): each case's line, `BENCH report case=… key=value`, ends
with the machine's load before and after it (`bench/_measure.py`).
The person and their records are created in the bench database; a colleague of the same
company holds data the report must not show.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
import uuid
from decimal import Decimal

import _setup  # noqa: F401  (first: the project root on sys.path, Django set up)
from _measure import Bench
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reports.documents import build_access_report
from subjects.models import (
    Communication,
    DataSubject,
    Invoice,
    Organisation,
    UsageRecord,
)

BATCH = 2000


class BenchFailed(SystemExit):
    def __init__(self, message: str) -> None:
        super().__init__(f"bench/report.py: {message}")


# Each run adds its own people, so the bench runs again on the same database.
RUN = uuid.uuid4().hex[:6]


def person_with(records: int, *, tag: str, organisation: Organisation) -> DataSubject:
    """A client's person with `records` communications, usage records and invoices."""
    person = DataSubject.objects.create(
        kind="client",
        first_name=f"{tag}First",
        last_name=f"{tag}Last",
        work_email=f"{tag.lower()}.{RUN}@bench.example",
        work_phone="+372 5555 0000",
        organisation=organisation,
        position="Engineer",
        country="EE",
        preferred_language="en",
    )
    start = timezone.now() - dt.timedelta(days=records)
    Communication.objects.bulk_create(
        [
            Communication(
                subject=person,
                direction="inbound" if i % 2 else "outbound",
                sent_at=start + dt.timedelta(hours=i),
                subject_line=f"{tag} question {i}",
                body=f"Hello, could you send the invoice again with our VAT number? ({i})",
            )
            for i in range(records)
        ],
        batch_size=BATCH,
    )
    UsageRecord.objects.bulk_create(
        [
            UsageRecord(
                subject=person,
                occurred_at=start + dt.timedelta(minutes=37 * i),
                action="document.upload",
                details={"ip": f"192.0.2.{i % 250}", "file": f"report-{i}.pdf"},
            )
            for i in range(records)
        ],
        batch_size=BATCH,
    )
    Invoice.objects.bulk_create(
        [
            Invoice(
                organisation=organisation,
                billing_contact=person,
                number=f"{tag}-INV-{i:06d}-{RUN}",
                issued_on=(start + dt.timedelta(days=i % 700)).date(),
                billing_name=f"{tag}First {tag}Last",
                billing_email=f"{tag.lower()}.billing.{RUN}@bench.example",
                billing_address="Narva mnt 5, Tallinn",
                amount=Decimal("199.00"),
            )
            for i in range(records)
        ],
        batch_size=BATCH,
    )
    return person


def measure(bench: Bench, case: str, person: DataSubject, loads: int, *, expect: list[str]) -> None:
    from tests.reports_helpers import pdf_text

    times, cpu = [], []
    pages = 0
    for i in range(loads):
        context = CaptureQueriesContext(connection)
        started, started_cpu = time.perf_counter(), time.process_time()
        with context:
            pdf = build_access_report(subject=person)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        pages = pdf.pages
        if i == 0:
            queries = len(context.captured_queries)
            text = pdf_text(pdf.content)
            missing = [marker for marker in expect if marker not in text]
            if missing:
                raise BenchFailed(f"{case}: the report lacks {missing}")
            if "ColleagueFirst" in text:
                raise BenchFailed(f"{case}: the report shows a colleague's data")
    # The CPU seconds of this process (the layout is all here) say what a build costs when
    # other work shares the cores and stretches the wall-clock figure.
    median, worst, median_cpu = statistics.median(times), max(times), statistics.median(cpu)
    print(
        f"{case:<8} {pages:>4} pages  median {median:6.2f} s  worst {worst:6.2f} s  "
        f"cpu {median_cpu:6.2f} s  {queries} queries"
    )
    bench.line(
        case=case,
        pages=pages,
        median_s=f"{median:.3f}",
        worst_s=f"{worst:.3f}",
        cpu_s=f"{median_cpu:.3f}",
        queries=queries,
        loads=loads,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one load: CI")
    parser.add_argument("--loads", type=int, default=5)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("The benchmark needs PostgreSQL: set DATABASE_URL.")
    bench = Bench("report", smoke=args.smoke)
    settings.DEBUG = False
    from core.seeding import seed_all

    seed_all()
    typical_n, heavy_n, loads = (5, 40, 1) if args.smoke else (50, 2000, args.loads)
    company = Organisation.objects.create(name="Bench Company OÜ", country="EE", status="paying")
    person_with(3, tag="Colleague", organisation=company)
    typical = person_with(typical_n, tag="Typical", organisation=company)
    heavy = person_with(heavy_n, tag="Heavy", organisation=company)
    print(f"typical: {typical_n} records of each kind; heavy: {heavy_n} of each; {loads} loads")
    typical_shows = ["TypicalFirst", f"Typical question {typical_n - 1}"]
    measure(bench, "typical", typical, loads, expect=typical_shows)
    heavy_shows = ["HeavyFirst", f"Heavy-INV-{heavy_n - 1:06d}-{RUN}"]
    measure(bench, "heavy", heavy, loads, expect=heavy_shows)


if __name__ == "__main__":
    main()
