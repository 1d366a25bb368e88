"""Benchmark of the purge on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/po_retention_bench \\
        python bench/purge.py --subjects 100000            # (a) expired prospects
    ... python bench/purge.py --subjects 1000000 --steady   # (b) nightly steady state
    ... python bench/purge.py --smoke                       # (a) and (b), tiny, checked (CI)

(a) N expired prospects, each with a demo, a message and a usage record (4 rows each) and the
two name tokens the search reads, are generated set-based (`INSERT … SELECT generate_series`;
ciphertext is a fixed dummy token since the purge only nulls it, a token's digest an md5).
Three times, in turn: the purge (`run_purge`) runs on them, the same data is generated again,
a hand-written raw SQL baseline touches the same tables and columns in one transaction, and
the data is generated again. Taken in turn, both meet the same moods of a shared machine.
Prints rows/s for both, each one's runs and spread, the ratio of the purge's median run to
the baseline's (refused when the baseline's runs spread over 20 %: `bench/_measure.py`) and
the peak RSS of this process after the purges (each measured when it has returned, before
the benchmark reads the erasure ledger back to check it).

(b) N live subjects of which 0.1 % are due: the run time of one nightly purge (no baseline:
the machine's load only).

Every run checks its result: the purge and the baseline must each clear exactly the rows of
the people who were due, and nothing else. Besides the human lines, each part prints one
machine-readable line, `BENCH purge mode=… key=value …`, which CI looks for.

The purge writes its erasure ledger as in production, the copy outside the database
included (fsynced per batch): into a throwaway folder unless ERASURE_LEDGER_DIR names one,
so the benchmark's erasures never mix with a developer's own ledger.

The database's domain tables are TRUNCATEd: never point it at data you want to keep.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import statistics
import sys
import time
from functools import cache
from typing import Any

import _setup  # noqa: F401  (first: the project root on sys.path, Django set up)
from _measure import MIN_BASELINE_RUNS, Bench, spread_pct
from django.conf import settings
from django.db import connection, transaction

from core.timeutil import start_of_legal_day
from retention.models import ErasureEntry, RetentionRule, ids_of
from retention.periods import Period, purge_cutoff
from retention.services.purge import run_purge

AS_OF = dt.date(2025, 6, 1)
DUMMY = "gAAAAABdummy-ciphertext-the-purge-only-nulls-it"
ROWS_PER_PROSPECT = 4  # the person, a demo, a message, a usage record
DOMAIN_TABLES = (
    "retention_erasureentry, retention_purgebatch, retention_purgerun, "
    "subjects_usagerecord, subjects_communication, "
    "subjects_demo, subjects_trialcontent, subjects_trial, subjects_claim, subjects_invoice, "
    "subjects_kindchange, subjects_nametoken, subjects_datasubject, subjects_organisation"
)
# --smoke: (b) needs 1 000 people for one to be due at 0.1 %; 2 000 and 500 keep both parts
# to about a second each while every statement still runs on real rows.
SMOKE_EXPIRED = 500
SMOKE_STEADY = 2000
# Rows still holding personal data, per table: what the purge must clear for due people.
PERSONAL_ROWS = {
    "subjects": "SELECT count(*) FROM subjects_datasubject "
    "WHERE anonymised_at IS NULL OR first_name IS NOT NULL OR work_email IS NOT NULL",
    "name tokens": "SELECT count(DISTINCT subject_id) FROM subjects_nametoken",
    "demos": "SELECT count(*) FROM subjects_demo WHERE notes IS NOT NULL",
    "messages": "SELECT count(*) FROM subjects_communication "
    "WHERE subject_line IS NOT NULL OR body IS NOT NULL",
    "usage": "SELECT count(*) FROM subjects_usagerecord "
    "WHERE subject_id IS NOT NULL OR details IS NOT NULL",
}


# The query parameters psycopg2 takes: positional (%s) or named (%(name)s).
Params = list[Any] | dict[str, Any] | None


class BenchFailed(SystemExit):
    """A benchmark whose data or result is not what it claims to measure."""

    def __init__(self, message: str) -> None:
        super().__init__(f"bench/purge.py: {message}")


def sql(statement: str, params: Params = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@cache  # the schema stays while the data is generated again: information_schema is slow
def columns(table: str) -> dict[str, bool]:
    """The table's columns, each with whether a row must be given a value for it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, is_nullable = 'NO' AND column_default IS NULL "
            "AND is_identity = 'NO' AND is_generated = 'NEVER' "
            "FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s",
            [table],
        )
        return {name: must for name, must in cursor.fetchall()}


def insert_select(table: str, values: dict[str, str], rest: str, params: Params = None) -> None:
    """`INSERT INTO table (columns) SELECT values rest`, refused before it runs when the
    columns leave out a NOT NULL column the database cannot fill itself. A column added by a
    later migration (as `preferred_language` was) then stops the benchmark with its name."""
    required = columns(table)
    unknown = sorted(set(values) - set(required))
    missing = sorted(name for name, must in required.items() if must and name not in values)
    if not required:
        raise BenchFailed(f"there is no table {table}: update generate()")
    if unknown or missing:
        raise BenchFailed(
            f"the rows generated for {table} no longer fit its schema "
            f"(no such column: {', '.join(unknown) or '-'}; "
            f"NOT NULL without a value: {', '.join(missing) or '-'}): update generate()"
        )
    sql(
        f"INSERT INTO {table} ({', '.join(values)}) SELECT {', '.join(values.values())} {rest}",
        params,
    )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(n: int, *, due: int, live_kind_split: bool, checkpoint: bool) -> None:
    """n people; the first `due` are prospects collected long ago, the rest live. The
    checkpoint gives every timed run the same start, no dirty page of the last one to write;
    a smoke run measures nothing, and on a shared server a CHECKPOINT writes everyone's."""
    # The cascade reaches the consent ledger, whose trigger refuses TRUNCATE: the benchmark
    # database is a throwaway, so only this statement runs with triggers off (a superuser's
    # `session_replication_role`, for this transaction).
    with transaction.atomic():
        sql("SET LOCAL session_replication_role = replica")
        sql(f"TRUNCATE {DOMAIN_TABLES} RESTART IDENTITY CASCADE")
    orgs = max(1, n // 10)
    insert_select(
        "subjects_organisation",
        {
            "name": "'Company ' || g",
            "registry_code": "g::text",
            "country": "'EE'",
            "status": "CASE WHEN %(split)s AND g %% 2 = 0 THEN 'paying' ELSE 'prospect' END",
            "created_at": "now()",
        },
        "FROM generate_series(1, %(orgs)s) AS g",
        {"split": live_kind_split, "orgs": orgs},
    )
    # Live people: half paying clients' users collected over six years, half prospects
    # collected within the last year; due people: prospects collected in 2020.
    paying = "g > %(due)s AND %(split)s AND (g %% %(orgs)s + 1) %% 2 = 0"
    insert_select(
        "subjects_datasubject",
        {
            "kind": f"CASE WHEN {paying} THEN 'user' ELSE 'prospect' END",
            "first_name": "%(dummy)s",
            "last_name": "%(dummy)s",
            "photo_content_type": "''",
            "work_phone": "%(dummy)s",
            "work_email": "%(dummy)s",
            "work_email_index": "md5(g::text)",
            "position": "%(dummy)s",
            "country": "'EE'",
            "preferred_language": "''",
            "source": "'public_register'",
            "restriction_ground": "''",
            "collected_at": f"""CASE
                WHEN g <= %(due)s
                THEN timestamptz '2020-01-05 12:00+02' + (g %% 1000) * interval '1 minute'
                WHEN {paying}
                THEN timestamptz '2019-06-01 12:00+02' + (g %% 2000) * interval '1 day'
                ELSE timestamptz '2024-07-01 12:00+02' + (g %% 300) * interval '1 day'
            END""",
            "created_at": "now()",
            "updated_at": "now()",
            "organisation_id": "CASE WHEN g <= %(due)s THEN 1 ELSE g %% %(orgs)s + 1 END",
        },
        "FROM generate_series(1, %(n)s) AS g",
        {"due": due, "split": live_kind_split, "orgs": orgs, "dummy": DUMMY, "n": n},
    )
    insert_select(
        "subjects_nametoken",
        {"subject_id": "id", "part": "p.part", "digest": "md5(p.part || ':' || id)"},
        "FROM subjects_datasubject CROSS JOIN (VALUES (1), (2)) AS p(part)",
    )
    insert_select(
        "subjects_demo",
        {"held_on": "date '2020-02-01'", "notes": "%(dummy)s", "subject_id": "id"},
        "FROM subjects_datasubject WHERE kind = 'prospect'",
        {"dummy": DUMMY},
    )
    insert_select(
        "subjects_communication",
        {
            "direction": "'inbound'",
            "channel": "'email'",
            "sent_at": "collected_at",
            "subject_line": "%(dummy)s",
            "body": "%(dummy)s",
            "subject_id": "id",
        },
        "FROM subjects_datasubject",
        {"dummy": DUMMY},
    )
    insert_select(
        "subjects_usagerecord",
        {
            "occurred_at": "collected_at",
            "action": "'login'",
            "details": "%(dummy)s",
            "subject_id": "id",
        },
        "FROM subjects_datasubject",
        {"dummy": DUMMY},
    )
    sql("ANALYZE")
    if checkpoint:
        sql("CHECKPOINT")


def personal_rows() -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for table, statement in PERSONAL_ROWS.items():
            cursor.execute(statement)
            counts[table] = cursor.fetchone()[0]
    return counts


def expect_cleared(what: str, before: dict[str, int], due: int) -> None:
    """Exactly the due people's rows lost their personal data: none left, none extra."""
    after = personal_rows()
    expected = {table: count - due for table, count in before.items()}
    if after != expected:
        raise BenchFailed(f"{what} left {after} rows with personal data, expected {expected}")


def baseline() -> float:
    """What a hand-written purge would do: one UPDATE per table, one transaction."""
    cutoff = start_of_legal_day(purge_cutoff(AS_OF, Period(years=1)))
    due = (
        "SELECT id FROM subjects_datasubject WHERE kind = 'prospect' "
        "AND anonymised_at IS NULL AND collected_at < %s"
    )
    started = time.perf_counter()
    with transaction.atomic():
        sql(f"UPDATE subjects_demo SET notes = NULL WHERE subject_id IN ({due})", [cutoff])
        sql(
            "UPDATE subjects_communication SET subject_line = NULL, body = NULL "
            f"WHERE subject_id IN ({due})",
            [cutoff],
        )
        sql(
            "UPDATE subjects_usagerecord SET subject_id = NULL, details = NULL "
            f"WHERE subject_id IN ({due})",
            [cutoff],
        )
        sql(f"DELETE FROM subjects_nametoken WHERE subject_id IN ({due})", [cutoff])
        sql(
            "UPDATE subjects_datasubject SET first_name = NULL, last_name = NULL, "
            "date_of_birth = NULL, photo = NULL, photo_content_type = '', work_address = NULL, "
            "work_phone = NULL, work_email = NULL, work_email_index = NULL, position = NULL, "
            "country = '', organisation_id = NULL, erasure_flag_reason = NULL, "
            "anonymised_at = now() "
            f"WHERE id IN ({due})",
            [cutoff],
        )
    return time.perf_counter() - started


def purge(*, expected_records: int) -> tuple[float, float]:
    """The purge's seconds and the process's peak RSS in MB when it has returned (before
    this benchmark's own checks, which read the ledger back)."""
    started = time.perf_counter()
    run = run_purge(as_of=AS_OF, dry_run=False, actor="bench")
    elapsed = time.perf_counter() - started
    rss = peak_rss_mb()
    if run.status != "succeeded":
        raise BenchFailed(f"the purge ended {run.status}: {run.note}")
    if run.total != expected_records:
        raise BenchFailed(f"the purge took {run.total:,} records, expected {expected_records:,}")
    # One entry's ids at a time: the run's whole ledger held at once would be this
    # benchmark's memory, not the purge's.
    entries = ErasureEntry.objects.filter(purge_run=run.pk).values_list("object_ids", flat=True)
    entered = sum(len(ids_of(ids)) for ids in entries.iterator(chunk_size=20))
    if entered != expected_records:
        raise BenchFailed(
            f"the erasure ledger holds {entered:,} records of the run, not {run.total:,}"
        )
    return elapsed, rss


def expired_prospects(bench: Bench, n: int) -> None:
    """(a): the purge against the raw SQL baseline on the same n expired prospects, each run
    three times, in turn, on the data generated again."""
    purge_runs: list[float] = []
    baseline_runs: list[float] = []
    peaks: list[float] = []  # the process's peak so far, after each purge
    for _ in range(MIN_BASELINE_RUNS):
        t0 = time.perf_counter()
        generate(n, due=n, live_kind_split=False, checkpoint=not bench.smoke)
        print(f"generated {n:,} expired prospects in {time.perf_counter() - t0:.1f} s")
        before = personal_rows()
        seconds, peak = purge(expected_records=n)
        expect_cleared("the purge", before, n)
        purge_runs.append(seconds)
        peaks.append(peak)
        generate(n, due=n, live_kind_split=False, checkpoint=not bench.smoke)
        baseline_runs.append(baseline())
        expect_cleared("the baseline", before, n)
    purge_s = statistics.median(purge_runs)
    ratio = bench.ratio(purge_s, baseline_runs)
    base_s, rows = ratio.baseline, n * ROWS_PER_PROSPECT
    print(f"(a) purge:    {rows:,} rows in {purge_s:.2f} s = {rows / purge_s:,.0f} rows/s (median)")
    print(f"    purge runs: {runs_text(purge_runs)}")
    print(f"    baseline: {rows:,} rows in {base_s:.2f} s = {rows / base_s:,.0f} rows/s (median)")
    print(f"    baseline runs: {runs_text(baseline_runs)}")
    print(f"    ratio purge/baseline: {ratio}")
    each = ", ".join(f"{mb:.0f}" for mb in peaks)
    print(f"    peak RSS: {peaks[-1]:.0f} MB (the process's peak after each purge: {each})")
    bench.line(
        mode="expired",
        n=n,
        rows=rows,
        rows_per_s=round(rows / purge_s),
        baseline_rows_per_s=round(rows / base_s),
        **ratio.figures(),
        purge_spread_pct=f"{spread_pct(purge_runs):.1f}",
        peak_rss_mb=round(peaks[-1]),
    )


def runs_text(runs: list[float]) -> str:
    return f"{', '.join(f'{s:.2f}' for s in runs)} s, spread {spread_pct(runs):.1f} %"


def steady_state(bench: Bench, n: int) -> None:
    """(b): one nightly purge when 0.1 % of n live people are due, then a rerun."""
    due = max(1, n // 1000)
    t0 = time.perf_counter()
    generate(n, due=due, live_kind_split=True, checkpoint=not bench.smoke)
    print(f"generated {n:,} live subjects ({due:,} due) in {time.perf_counter() - t0:.1f} s")
    before = personal_rows()
    elapsed, _rss = purge(expected_records=due)
    expect_cleared("the nightly purge", before, due)
    print(f"(b) nightly purge: {due:,} records in {elapsed:.2f} s")
    rerun, _rss = purge(expected_records=0)
    print(f"    rerun with nothing due: 0 records in {rerun:.2f} s")
    print(f"peak RSS {peak_rss_mb():.0f} MB")
    bench.line(
        mode="steady",
        n=n,
        records=due,
        seconds=f"{elapsed:.3f}",
        rerun_seconds=f"{rerun:.3f}",
        peak_rss_mb=round(peak_rss_mb()),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--subjects", type=int)
    size.add_argument(
        "--smoke", action="store_true", help="(a) and (b) at a tiny size, for CI: seconds"
    )
    parser.add_argument("--steady", action="store_true", help="(b): 0.1 %% due of N live")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("The benchmark needs PostgreSQL: set DATABASE_URL.")
    bench = Bench("purge", smoke=args.smoke)
    # As in production: with DEBUG on, Django keeps the last 9 000 queries' SQL in memory,
    # which would be measured as the purge's own memory.
    settings.DEBUG = False
    from core.seeding import seed_all

    seed_all()
    RetentionRule.objects.filter(code="prospects-1y").update(active=True, confirmed=True)
    if args.smoke:
        expired_prospects(bench, SMOKE_EXPIRED)
        steady_state(bench, SMOKE_STEADY)
    elif args.steady:
        steady_state(bench, args.subjects)
    else:
        expired_prospects(bench, args.subjects)
    bench.finish()


if __name__ == "__main__":
    main()
