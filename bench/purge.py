"""Benchmark of the purge on PostgreSQL (issue 4, item 10).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/po_retention_bench \\
        python bench/purge.py --subjects 100000            # (a) expired prospects
    ... python bench/purge.py --subjects 1000000 --steady   # (b) nightly steady state

(a) N expired prospects, each with a demo, a message and a usage record (4 rows each), are
generated set-based (`INSERT … SELECT generate_series`; ciphertext is a fixed dummy token
since the purge only nulls it). The purge (`run_purge`) runs on them; then the same data is
generated again and a hand-written raw SQL baseline touches the same tables and columns in
one transaction. Prints rows/s for both, the ratio and the peak RSS of this process.

(b) N live subjects of which 0.1 % are due: the run time of one nightly purge.

The database's domain tables are TRUNCATEd: never point it at data you want to keep.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

# Run as a script, Python puts bench/ first on the path: the project root takes its place.
sys.path[0] = str(Path(__file__).resolve().parent.parent)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privacyops.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from core.timeutil import start_of_legal_day  # noqa: E402
from retention.models import RetentionRule  # noqa: E402
from retention.periods import Period, purge_cutoff  # noqa: E402
from retention.services.purge import run_purge  # noqa: E402

if TYPE_CHECKING:
    # What a cursor adapts to SQL: a sequence for `%s`, a mapping for `%(name)s`.
    from django.db.backends.utils import _ExecuteParameters as SQLParams

AS_OF = dt.date(2025, 6, 1)
DUMMY = "gAAAAABdummy-ciphertext-the-purge-only-nulls-it"
ROWS_PER_PROSPECT = 4  # the person, a demo, a message, a usage record
DOMAIN_TABLES = (
    "retention_purgebatch, retention_purgerun, subjects_usagerecord, subjects_communication, "
    "subjects_demo, subjects_trialcontent, subjects_trial, subjects_claim, subjects_invoice, "
    "subjects_kindchange, subjects_datasubject, subjects_organisation"
)


def sql(statement: str, params: SQLParams = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(n: int, *, due: int, live_kind_split: bool) -> None:
    """n people; the first `due` are prospects collected long ago, the rest live."""
    sql(f"TRUNCATE {DOMAIN_TABLES} RESTART IDENTITY CASCADE")
    orgs = max(1, n // 10)
    sql(
        """
        INSERT INTO subjects_organisation
            (legal_hold_reason, name, registry_code, country, status, created_at)
        SELECT '', 'Company ' || g, g::text, 'EE',
               CASE WHEN %s AND g %% 2 = 0 THEN 'paying' ELSE 'prospect' END, now()
        FROM generate_series(1, %s) AS g
        """,
        [live_kind_split, orgs],
    )
    # Live people: half paying clients' users collected over six years, half prospects
    # collected within the last year; due people: prospects collected in 2020.
    sql(
        """
        INSERT INTO subjects_datasubject
            (legal_hold_reason, kind, first_name, last_name, photo_content_type, work_phone,
             work_email, work_email_index, position, country, source, collected_at,
             restriction_reason, erasure_flag_reason, created_at, updated_at, organisation_id)
        SELECT '',
               CASE WHEN g > %(due)s AND %(split)s AND (g %% %(orgs)s + 1) %% 2 = 0
                    THEN 'user' ELSE 'prospect' END,
               'First' || g, 'Last' || g, '', %(dummy)s, %(dummy)s, md5(g::text), 'Engineer',
               'EE', 'public_register',
               CASE WHEN g <= %(due)s
                    THEN timestamptz '2020-01-05 12:00+02' + (g %% 1000) * interval '1 minute'
                    WHEN %(split)s AND (g %% %(orgs)s + 1) %% 2 = 0
                    THEN timestamptz '2019-06-01 12:00+02' + (g %% 2000) * interval '1 day'
                    ELSE timestamptz '2024-07-01 12:00+02' + (g %% 300) * interval '1 day'
               END,
               '', '', now(), now(),
               CASE WHEN g <= %(due)s THEN 1 ELSE g %% %(orgs)s + 1 END
        FROM generate_series(1, %(n)s) AS g
        """,
        {"due": due, "split": live_kind_split, "orgs": orgs, "dummy": DUMMY, "n": n},
    )
    sql(
        "INSERT INTO subjects_demo (held_on, notes, subject_id) "
        "SELECT date '2020-02-01', %s, id FROM subjects_datasubject WHERE kind = 'prospect'",
        [DUMMY],
    )
    sql(
        "INSERT INTO subjects_communication "
        "(direction, channel, sent_at, subject_line, body, subject_id) "
        "SELECT 'inbound', 'email', collected_at, %s, %s, id FROM subjects_datasubject",
        [DUMMY, DUMMY],
    )
    sql(
        "INSERT INTO subjects_usagerecord (occurred_at, action, details, subject_id) "
        "SELECT collected_at, 'login', %s, id FROM subjects_datasubject",
        [DUMMY],
    )
    sql("ANALYZE")
    sql("CHECKPOINT")


def baseline(n: int) -> float:
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
        sql(
            "UPDATE subjects_datasubject SET first_name = '', last_name = '', "
            "date_of_birth = NULL, photo = NULL, photo_content_type = '', work_address = NULL, "
            "work_phone = NULL, work_email = NULL, work_email_index = NULL, position = '', "
            "country = '', organisation_id = NULL, erasure_flag_reason = '', "
            "anonymised_at = now() "
            f"WHERE id IN ({due})",
            [cutoff],
        )
    return time.perf_counter() - started


def purge() -> tuple[float, int]:
    started = time.perf_counter()
    run = run_purge(as_of=AS_OF, dry_run=False, actor="bench")
    elapsed = time.perf_counter() - started
    assert run.status == "succeeded", run.note
    return elapsed, run.total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, required=True)
    parser.add_argument("--steady", action="store_true", help="(b): 0.1 %% due of N live")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("The benchmark needs PostgreSQL: set DATABASE_URL.")
    # As in production: with DEBUG on, Django keeps the last 9 000 queries' SQL in memory,
    # which would be measured as the purge's own memory.
    settings.DEBUG = False
    from core.seeding import seed_all

    seed_all()
    RetentionRule.objects.filter(code="prospects-1y").update(active=True, confirmed=True)
    n = args.subjects
    if args.steady:
        due = max(1, n // 1000)
        t0 = time.perf_counter()
        generate(n, due=due, live_kind_split=True)
        print(f"generated {n:,} live subjects ({due:,} due) in {time.perf_counter() - t0:.1f} s")
        elapsed, records = purge()
        print(f"(b) nightly purge: {records:,} records in {elapsed:.2f} s")
        elapsed, records = purge()
        print(f"    rerun with nothing due: {records:,} records in {elapsed:.2f} s")
        print(f"peak RSS {peak_rss_mb():.0f} MB")
        return
    t0 = time.perf_counter()
    generate(n, due=n, live_kind_split=False)
    print(f"generated {n:,} expired prospects in {time.perf_counter() - t0:.1f} s")
    purge_s, records = purge()
    assert records == n, records
    rss = peak_rss_mb()
    generate(n, due=n, live_kind_split=False)
    base_s = baseline(n)
    rows = n * ROWS_PER_PROSPECT
    print(f"(a) purge:    {rows:,} rows in {purge_s:.2f} s = {rows / purge_s:,.0f} rows/s")
    print(f"    baseline: {rows:,} rows in {base_s:.2f} s = {rows / base_s:,.0f} rows/s")
    print(f"    ratio purge/baseline: {purge_s / base_s:.2f}")
    print(f"    peak RSS: {rss:.0f} MB")


if __name__ == "__main__":
    main()
