"""Benchmark of the audit log at ten million events on PostgreSQL, partitioned by month.

    createdb -h 127.0.0.1 -U postgres po_audit_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/po_audit_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/audit_log.py                   # 10 000 000 events: fills once
    .venv/bin/python bench/audit_log.py --events 1000000
    .venv/bin/python bench/audit_log.py --smoke           # 20 000, seconds (CI runs it)

The fill: `--events` chained events spread evenly over the twelve months before this one
(each month its partition, made first), as the portal writes them: a dozen staff and a few
jobs, a mix of actions, people as targets, grouped reads with their ids, an IP or none. Each
link is computed here with the chain's own functions (`core.chain_hash`), and the rows are
COPYed into the parent table, which routes them to their month; then VACUUM ANALYZE, as
autovacuum would have. A log already filled with as many events is kept (`--reset` fills
it again): ten million take minutes.

Then, each against the machine's load (`bench/_measure.py`):
1. `verify_audit_log` (what the beat job runs) in a process of its own: events/s, the
   segments it walked side by side (`core.chain_segments`), its resident memory when it
   started and at its peak, and its children's peak (flat: one batch at a time). Beside it,
   the same walk in one process, from the first event to the last.
2. `record_event`: `--calls` single events, each its own transaction as on a page; median
   and p95, against as many one-row INSERTs, each committed, into a plain table of the same
   columns and indexes (what the statement costs without the chain and the partitions).
3. The audit browser's first page with a filter (by a staff member, by an action's words, by
   a person), `--loads` times through Django's test client as an Auditor, against the page's
   own queries on the audit log replayed as raw SQL: the ratio of the medians is refused when
   the baseline's loads, in three consecutive blocks, spread over 20 %.

Goals (docs/performance.md): the walk ≥ 200 000 events/s with memory flat; `record_event`
p95 < 2 ms; the first page with a filter < 200 ms. Ends with `BENCH audit_log …` lines.

The audit log and its checks are TRUNCATEd: never point it at data you want to keep.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _setup  # noqa: F401  (first: the project root on sys.path, Django set up)
from _measure import Bench, block_medians, page_bench_arguments
from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import chain_segments
from core.audit import record_event
from core.chain import walk_span
from core.chain_hash import GENESIS_HASH, link_hash, stored_content_hash, utc_iso
from core.chain_walk import FROM_THE_START, WHOLE_LOG
from core.partitions import first_of_month, make_partitions
from core.services.audit_chain import verify_audit_log

FILL_LABEL = "bench-fill"
SMOKE = {"events": 20_000, "calls": 60, "loads": 9}
STAFF = 12
PEOPLE = 200_000
ACTIONS = (
    ("subject.viewed", 0.55),
    ("subject.listed", 0.15),
    ("subject.updated", 0.1),
    ("consent.granted", 0.08),
    ("request.created", 0.04),
    ("auth.logged_in", 0.05),
    ("retention.purged", 0.03),
)
COPY_BATCH = 50_000
NULL = "\\N"  # COPY's text format
GOALS = {"verify_events_per_s": 200_000, "record_p95_ms": 2.0, "page_ms": 200.0}
COLUMNS = (
    "sequence, prev_hash, hash, occurred_at, actor_id, actor_label, action, target_type, "
    "target_id, details, ip_address"
)


class BenchFailed(SystemExit):
    def __init__(self, message: str) -> None:
        super().__init__(f"bench/audit_log.py: {message}")


def sql(statement: str, params: Any = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return list(cursor.fetchall()) if cursor.description else []


def staff_users() -> list[User]:
    users = []
    auditors = Group.objects.get(name="Auditor")
    for n in range(STAFF):
        user, _ = get_user_model().objects.get_or_create(username=f"bench-staff-{n}")
        users.append(user)
    auditor, _ = get_user_model().objects.get_or_create(username="bench-auditor")
    auditor.groups.add(auditors)
    return users


def event_fields(n: int, users: list[User]) -> tuple[Any, ...]:
    """The n-th event's fields but the time: (actor_id, label, action, type, id, details, ip)."""
    pick = (n * 7919) % 1000 / 1000
    action = ACTIONS[-1][0]
    for name, share in ACTIONS:
        if pick < share:
            action = name
            break
        pick -= share
    person = str((n * 104_729) % PEOPLE + 1)
    ip = None if n % 5 == 0 else f"192.0.2.{n % 250 + 1}"
    if n % 10 < 7:
        actor_id, label = users[n % len(users)].pk, ""
    else:
        actor_id, label = None, ("nightly-purge" if n % 2 else f"data subject #{person}")
    if action == "subject.listed":
        ids = [(n * 31 + k * 977) % PEOPLE + 1 for k in range(20)]
        return actor_id, label, action, "subjects.datasubject", "", {"count": 20, "ids": ids}, ip
    details = {"fields": ["first_name", "work_email"]} if action == "subject.updated" else {}
    return actor_id, label, action, "subjects.datasubject", person, details, ip


def fill(events: int, users: list[User]) -> None:
    """`events` chained events over the twelve months before this one, COPYed in batches."""
    with transaction.atomic():
        # The log's triggers refuse TRUNCATE: this throwaway database lifts them for this
        # statement only (a superuser's `session_replication_role`).
        sql("SET LOCAL session_replication_role = replica")
        sql("TRUNCATE core_auditevent, core_auditverification RESTART IDENTITY")
    end = first_of_month(timezone.now())
    start = end - relativedelta(months=12)
    made = make_partitions(first_month=start, months=13)
    if any(month.missing for month in made):
        raise BenchFailed(f"partitions not made: {[m for m in made if m.missing]}")
    begin = dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC)
    step = (dt.datetime.combine(end, dt.time.min, tzinfo=dt.UTC) - begin) / events
    prev = GENESIS_HASH
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for first in range(0, events, COPY_BATCH):
            rows = io.StringIO()
            for n in range(first, min(events, first + COPY_BATCH)):
                actor_id, label, action, kind, target, details, ip = event_fields(n, users)
                label = label or (FILL_LABEL if actor_id is None else "")
                moment = utc_iso(begin + step * n)
                text = json.dumps(details, separators=(",", ":"))
                content = stored_content_hash(
                    moment, actor_id, label, action, kind, target, text, ip
                )
                link = link_hash(n + 1, content, prev)
                rows.write(
                    f"{n + 1}\t{prev}\t{link}\t{moment}\t{actor_id or NULL}\t{label}\t{action}\t"
                    f"{kind}\t{target}\t{text}\t{ip or NULL}\n"
                )
                prev = link
            rows.seek(0)
            cursor.copy_expert(f"COPY core_auditevent ({COLUMNS}) FROM STDIN", rows)
    took = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) core_auditevent")
    print(f"filled {events} events in {took:.1f} s ({events / took:,.0f}/s)", flush=True)


def filled(events: int) -> bool:
    (count,) = sql("SELECT count(*) FROM core_auditevent WHERE sequence <= %s", [events])[0]
    (head,) = sql("SELECT coalesce(max(sequence), 0) FROM core_auditevent")[0]
    return bool(count == events and head >= events)


def rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_rss_mb() -> float:
    """This process's peak resident memory since it started its program. Not `ru_maxrss`:
    Linux carries over to it, through `exec`, the peak of the process that started it (here
    the benchmark's, after filling the log: 170 MB at ten million events, whatever the walk
    took)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise BenchFailed("no VmHWM in /proc/self/status")


def verify_only() -> None:
    """Run as a process of its own: one walk, its figures as JSON on the last line."""
    before = rss_mb()
    started = time.perf_counter()
    verification = verify_audit_log(actor_label="bench")
    took = time.perf_counter() - started
    figures = {
        "intact": verification.intact,
        "checked": verification.events_checked,
        "seconds": took,
        "segments": chain_segments.segments_for(verification.events_checked),
        "rss_start_mb": before,
        "peak_rss_mb": peak_rss_mb(),
        "children_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }
    print(json.dumps(figures), flush=True)


def one_process_walk() -> tuple[int, float]:
    """The same walk from the first event to the last in this process alone."""
    started = time.perf_counter()
    report = walk_span(WHOLE_LOG, FROM_THE_START, None, [])
    if not report.intact:
        raise BenchFailed(f"the walk in one process did not find the chain intact: {report}")
    return report.checked, time.perf_counter() - started


def plain_inserts(actor_id: int, calls: int) -> list[float]:
    """The floor under `record_event`: one row, committed, into a plain table of the audit
    log's columns and indexes, with the values given (no head, no hash, no partitions)."""
    sql("DROP TABLE IF EXISTS bench_plain_audit")
    sql("CREATE TABLE bench_plain_audit (LIKE core_auditevent INCLUDING ALL)")
    sequence = iter(range(1, calls + 2))
    statement = (
        f"INSERT INTO bench_plain_audit ({COLUMNS}) VALUES "
        "(%s, %s, %s, now(), %s, '', 'subject.viewed', '', '7', '{\"page\": 1}', NULL) "
        "RETURNING id, sequence, prev_hash, hash"
    )

    def one() -> None:
        sql(statement, [next(sequence), "0" * 64, "1" * 64, actor_id])

    one()  # as record_event's first call, not timed
    try:
        return timed(one, calls)
    finally:
        sql("DROP TABLE bench_plain_audit")


def timed(run: Callable[[], Any], times: int) -> list[float]:
    timings = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def median_p95(timings: list[float]) -> tuple[float, float]:
    ordered = sorted(timings)
    return statistics.median(ordered), ordered[max(0, round(0.95 * len(ordered)) - 1)]


def page_and_baseline(client: Client, url: str, loads: int) -> tuple[list[float], list[float]]:
    """The page's loads and its queries on the audit log replayed raw, as many times."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    if response.status_code != 200 or b"No events match" in response.content:
        raise BenchFailed(f"{url} answered {response.status_code} or showed no event")
    queries = [q["sql"] for q in captured.captured_queries if "core_auditevent" in q["sql"]]
    if not queries:
        raise BenchFailed(f"{url} read nothing from the audit log")

    def page() -> None:
        client.get(url)

    def baseline() -> None:
        with connection.cursor() as cursor:
            for query in queries:
                cursor.execute(query)
                cursor.fetchall()

    return timed(page, loads), timed(baseline, loads)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--calls", type=int, default=500, help="record_event calls")
    parser.add_argument("--loads", type=int, default=30, help="loads of each page")
    parser.add_argument("--reset", action="store_true", help="fill the log again")
    parser.add_argument("--smoke", action="store_true", help=f"tiny, for CI: {SMOKE}")
    parser.add_argument("--verify-only", action="store_true", help=argparse.SUPPRESS)
    if "--verify-only" in sys.argv[1:]:
        parser.parse_args()
        verify_only()
        return
    args = page_bench_arguments(parser, SMOKE)
    bench = Bench("audit_log", smoke=args.smoke)
    users = staff_users()
    if args.reset or not filled(args.events):
        fill(args.events, users)
    bench.line(part="fill", events=args.events)

    # 1. The walk, in a process of its own so that its memory is its own.
    walk = subprocess.run(
        [sys.executable, __file__, "--verify-only"], capture_output=True, text=True, check=False
    )
    if walk.returncode != 0:
        raise BenchFailed(f"verify_audit failed:\n{walk.stderr[-2000:]}")
    result = json.loads(walk.stdout.strip().splitlines()[-1])
    if not result["intact"] or result["checked"] < args.events:
        raise BenchFailed(f"the walk did not find the chain intact: {result}")
    rate = result["checked"] / result["seconds"]
    walked, one_took = one_process_walk()
    segments = result["segments"]
    in_segments = "in one walk" if segments == 1 else f"in {segments} segments side by side"
    print(
        f"verify_audit: {result['checked']:,} events in {result['seconds']:.1f} s, "
        f"{rate:,.0f}/s {in_segments}; in one process "
        f"{walked / one_took:,.0f}/s; memory {result['rss_start_mb']:.0f} MB at the start, "
        f"{result['peak_rss_mb']:.0f} MB peak, its children's peak "
        f"{result['children_peak_rss_mb']:.0f} MB"
    )
    bench.line(
        part="verify",
        events=result["checked"],
        seconds=f"{result['seconds']:.2f}",
        events_per_s=f"{rate:.0f}",
        segments=result["segments"],
        one_process_events_per_s=f"{walked / one_took:.0f}",
        rss_start_mb=f"{result['rss_start_mb']:.1f}",
        peak_rss_mb=f"{result['peak_rss_mb']:.1f}",
        children_peak_rss_mb=f"{result['children_peak_rss_mb']:.1f}",
        goal_events_per_s=GOALS["verify_events_per_s"],
    )

    # 2. One event at a time, each committed, as a page records it.
    user = users[0]
    record_event(action="subject.viewed", actor=user, target_id=1)  # warms the statement

    def one() -> None:
        record_event(action="subject.viewed", actor=user, target_id=7, details={"page": 1})

    recorded = timed(one, args.calls)
    plain = plain_inserts(user.pk, args.calls)
    (median, p95), (plain_median, plain_p95) = median_p95(recorded), median_p95(plain)
    ratio = bench.ratio(median, block_medians(plain))
    print(
        f"record_event: median {median:.2f} ms, p95 {p95:.2f} ms over {args.calls} calls; "
        f"a plain INSERT: median {plain_median:.2f} ms, p95 {plain_p95:.2f} ms; ratio {ratio}"
    )
    bench.line(
        part="record_event",
        calls=args.calls,
        median_ms=f"{median:.3f}",
        p95_ms=f"{p95:.3f}",
        baseline_median_ms=f"{plain_median:.3f}",
        baseline_p95_ms=f"{plain_p95:.3f}",
        **ratio.figures(),
        goal_p95_ms=GOALS["record_p95_ms"],
    )

    # 3. The audit browser's first page with a filter, as an Auditor.
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench-auditor"))
    person = event_fields(1, users)[4]
    filters = {
        "actor": f"actor={users[1].pk}",
        "action": "action=Updated",
        "person": f"target_type=subjects.datasubject&target_id={person}",
    }
    for name, query in filters.items():
        page, base = page_and_baseline(client, f"/audit/?{query}", args.loads)
        (page_median, page_p95), (base_median, _) = median_p95(page), median_p95(base)
        ratio = bench.ratio(page_median, block_medians(base))
        print(
            f"first page by {name}: median {page_median:.1f} ms, p95 {page_p95:.1f} ms; "
            f"its queries in SQL {base_median:.1f} ms; ratio {ratio}"
        )
        bench.line(
            part="page",
            filter=name,
            loads=args.loads,
            median_ms=f"{page_median:.1f}",
            p95_ms=f"{page_p95:.1f}",
            baseline_median_ms=f"{base_median:.1f}",
            **ratio.figures(),
            goal_ms=GOALS["page_ms"],
        )
    bench.finish()


if __name__ == "__main__":
    main()
