"""Benchmark of erasure on request on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/po_erasure_bench python bench/erasure.py
    ... python bench/erasure.py --smoke     # tiny, checked (CI)

A client's person holds 2 000 records (communications, usage records, demos and invoices);
the register has internal systems with owners, webhook processors and recipients. A DPO
proposes the erasure and another DPO confirms it: the timed part is the confirmation — the
person's data erased set-based, what stays kept, every system's task created and the Art. 19
notices and webhook calls queued (their delivery is the workers' job, after commit). Prints
the seconds and the query count, against a baseline in the same run: raw SQL `UPDATE`s
clearing the same columns of an identical person, run at least three times (on as many
twins); the ratio of the medians is refused when those runs spread over 20 %
(`bench/_measure.py`).

Goal: under 2 s. A machine-readable line: `BENCH erasure key=value …`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from decimal import Decimal
from typing import Any
from unittest import mock

import _setup  # noqa: F401  (first: the project root on sys.path, Django set up)
from _measure import MIN_BASELINE_RUNS, Bench
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.webhooks import generate_secret
from processing.models import DataCategory, System
from subject_requests import tasks as request_tasks
from subject_requests.models import SubjectRequest, SystemTask
from subject_requests.services import submit_request, verify_manually
from subject_requests.services.erasure import confirm_erasure, propose_erasure
from subjects.models import (
    Communication,
    DataSubject,
    Demo,
    Invoice,
    Organisation,
    UsageRecord,
)

BATCH = 2000
GOAL_S = 2.0


class BenchFailed(SystemExit):
    def __init__(self, message: str) -> None:
        super().__init__(f"bench/erasure.py: {message}")


def person_with(records: int, *, tag: str, organisation: Organisation) -> DataSubject:
    """A client's person with `records` records: 45 % messages, 40 % usage, 10 % demos, 5 %
    invoices (which the erasure keeps: the Accounting Act)."""
    person = DataSubject.objects.create(
        kind="client",
        first_name=f"{tag}First",
        last_name=f"{tag}Last",
        work_email=f"{tag.lower()}@bench.example",
        work_phone="+372 5555 0000",
        organisation=organisation,
        position="Engineer",
        country="EE",
    )
    start = timezone.now() - dt.timedelta(days=400)
    messages, usage, demos = records * 45 // 100, records * 40 // 100, records * 10 // 100
    invoices = records - messages - usage - demos
    Communication.objects.bulk_create(
        [
            Communication(
                subject=person,
                direction="inbound",
                sent_at=start + dt.timedelta(hours=i),
                subject_line=f"{tag} question {i}",
                body="Hello, could you send the invoice again with our VAT number?",
            )
            for i in range(messages)
        ],
        batch_size=BATCH,
    )
    UsageRecord.objects.bulk_create(
        [
            UsageRecord(
                subject=person,
                occurred_at=start + dt.timedelta(minutes=37 * i),
                action="document.upload",
                details={"ip": f"192.0.2.{i % 250}"},
            )
            for i in range(usage)
        ],
        batch_size=BATCH,
    )
    Demo.objects.bulk_create(
        [
            Demo(subject=person, held_on=(start + dt.timedelta(days=i)).date(), notes="Demo")
            for i in range(demos)
        ],
        batch_size=BATCH,
    )
    Invoice.objects.bulk_create(
        [
            Invoice(
                organisation=organisation,
                billing_contact=person,
                number=f"{tag}-INV-{i:06d}",
                issued_on=(start + dt.timedelta(days=i % 300)).date(),
                billing_name=f"{tag}First {tag}Last",
                billing_email=f"{tag.lower()}.billing@bench.example",
                billing_address="Narva mnt 5, Tallinn",
                amount=Decimal("199.00"),
            )
            for i in range(invoices)
        ],
        batch_size=BATCH,
    )
    return person


def users() -> tuple[Any, Any, Any]:
    User = get_user_model()
    made = []
    for name, role in (("bench-dpo", "DPO"), ("bench-dpo2", "DPO"), ("bench-owner", "Staff")):
        user = User.objects.create(username=name, email=f"{name}@bench.example")
        user.groups.add(Group.objects.get(name=role))
        made.append(user)
    return made[0], made[1], made[2]


def register(owner: Any) -> None:
    """Every seeded system in service (an owner, a contact), and two webhook processors."""
    System.objects.update(owner=owner, active=True, contact_email="privacy@recipient.example")
    categories = list(DataCategory.objects.all())
    for i in range(2):
        system = System.objects.create(
            name=f"Webhook processor {i}",
            kind="internal",
            owner=owner,
            subject_kinds=["client"],
            connector="webhook",
            webhook_url=f"https://hooks{i}.bench.example/privacy",
            webhook_secret=generate_secret(),
        )
        system.categories.set(categories)


def erasure_request(person: DataSubject, dpo: Any) -> SubjectRequest:
    request = submit_request(
        type="erasure", name="Bench Person", email=str(person.work_email), description=""
    )
    request = verify_manually(
        request=request, asked="a", shown="b", subject_email=str(person.work_email), actor=dpo
    )
    propose_erasure(request=request, actor=dpo)
    return request


def baseline(person: DataSubject) -> float:
    """Raw SQL clearing the same columns of an identical person: the floor."""
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for table, assignments in (
            ("subjects_communication", "subject_line = NULL, body = NULL"),
            ("subjects_usagerecord", "subject_id = NULL, details = NULL"),
            ("subjects_demo", "notes = NULL"),
        ):
            cursor.execute(
                f"UPDATE {table} SET {assignments} WHERE subject_id = %s",
                [person.pk],
            )
        cursor.execute(
            "UPDATE subjects_datasubject SET first_name = '', last_name = '', work_email = NULL,"
            " work_email_index = NULL, work_phone = NULL, anonymised_at = now() WHERE id = %s",
            [person.pk],
        )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--smoke", action="store_true", help="tiny size, one run (three of the baseline): CI"
    )
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("The benchmark needs PostgreSQL: set DATABASE_URL.")
    bench = Bench("erasure", smoke=args.smoke)
    settings.DEBUG = False
    from core.seeding import seed_all

    seed_all()
    records, runs = (40, 1) if args.smoke else (args.records, args.runs)
    queued: list[int] = []
    # Deliveries are the workers' job after commit: here they are only counted as queued.
    with mock.patch.object(request_tasks.deliver_system_task, "delay", side_effect=queued.append):
        run_all(bench, records=records, runs=runs, queued=queued)
    bench.finish()


def run_all(bench: Bench, *, records: int, runs: int, queued: list[int]) -> None:
    dpo, other_dpo, owner = users()
    register(owner)
    company = Organisation.objects.create(name="Bench Company OÜ", country="EE", status="paying")
    colleague = person_with(20, tag="Colleague", organisation=company)
    times, baselines = [], []
    queries = tasks = 0
    for run in range(max(runs, MIN_BASELINE_RUNS)):
        twin = person_with(records, tag=f"Twin{run}", organisation=company)
        if run >= runs:  # the baseline's further runs, for its spread
            baselines.append(baseline(twin))
            continue
        person = person_with(records, tag=f"Run{run}", organisation=company)
        request = erasure_request(person, dpo)
        queued.clear()
        context = CaptureQueriesContext(connection)
        started = time.perf_counter()
        with context, transaction.atomic():
            confirm_erasure(request=request, actor=other_dpo)
        times.append(time.perf_counter() - started)
        queries = len(context.captured_queries)
        tasks = SystemTask.objects.filter(request=request).count()
        person.refresh_from_db()
        if person.anonymised_at is None or person.first_name:
            raise BenchFailed("the person was not erased")
        if Communication.objects.filter(subject=person, body__isnull=False).exists():
            raise BenchFailed("a message kept its text")
        if Invoice.objects.filter(billing_contact=person, billing_name__isnull=True).exists():
            raise BenchFailed("an invoice lost its billing data (the Accounting Act keeps it)")
        if not queued or tasks == 0:
            raise BenchFailed("no task was created or queued")
        baselines.append(baseline(twin))
    colleague.refresh_from_db()
    if colleague.anonymised_at is not None:
        raise BenchFailed("a colleague was erased")
    median = statistics.median(times)
    ratio = bench.ratio(median, baselines)
    notices = SystemTask.objects.filter(kind="notice").count() // runs
    print(
        f"erasure of one person with {records} records: median {median:.3f} s "
        f"(worst {max(times):.3f} s) over {runs} run(s), {queries} queries, {tasks} tasks "
        f"({notices} Art. 19 notices), {len(queued)} deliveries queued; raw UPDATE baseline "
        f"{ratio.baseline:.3f} s (median of {len(baselines)}, spread {ratio.spread_pct:.1f} %), "
        f"ratio {ratio}; goal {GOAL_S} s"
    )
    bench.line(
        records=records,
        median_s=f"{median:.3f}",
        worst_s=f"{max(times):.3f}",
        queries=queries,
        tasks=tasks,
        notices=notices,
        queued=len(queued),
        baseline_s=f"{ratio.baseline:.3f}",
        **ratio.figures(),
        runs=runs,
    )


if __name__ == "__main__":
    main()
