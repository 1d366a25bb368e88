"""Benchmark of the CSV import on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/po_import_bench python bench/csv_import.py
    ... python bench/csv_import.py --rows 10000   # another size
    ... python bench/csv_import.py --smoke        # tiny, checked (CI)

A file of 50 000 new prospects (plus one line naming a person twice) goes through the import's
services as the pages do: upload (stored encrypted), dry run, confirmation, apply — the two
runs being the Celery tasks, run eagerly here — and the dry run must equal the result. The
baseline, in the same run: `bulk_create` of the same people (encryption, blind index and
name tokens on), the floor of any writer, in three runs of a third of the rows each, so that
it costs what one run of all did and has a spread: the ratio (the apply's seconds per row
over the baseline's median run) is refused when the runs spread over 20 %
(`bench/_measure.py`). Prints seconds, rows per second and the CPU seconds of this process
(the machine's load does not count in those).

A machine-readable line: `BENCH csv_import key=value …`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

import _setup  # noqa: F401  (first: the project root on sys.path, Django set up)
from _measure import MIN_BASELINE_RUNS, Bench
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction

from consent.imports import services
from consent.imports.models import ImportStatus
from privacyops import celery_app
from subjects.models import DataSubject

# The dry run and the apply are Celery tasks; here they run in this process.
celery_app.conf.task_always_eager = True


class BenchFailed(SystemExit):
    def __init__(self, message: str) -> None:
        super().__init__(f"bench/csv_import.py: {message}")


def csv_file(rows: int, tag: str) -> bytes:
    lines = ["Email,First name,Last name,Job title,Country,Platform ID"]
    lines += [
        f"{tag}{n}@bench.example,Mari{n},Tamm-Kask,Engineer,EE,{tag}-{n}" for n in range(rows)
    ]
    lines.append(f"{tag}1@bench.example,Mari,Twice,,EE,")  # refused: line 3 names them
    return ("\n".join(lines) + "\n").encode()


def timed(work: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny size: CI")
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("The benchmark needs PostgreSQL: set DATABASE_URL.")
    bench = Bench("csv_import", smoke=args.smoke)
    settings.DEBUG = False
    from core.seeding import seed_all

    seed_all()
    rows = 200 if args.smoke else args.rows
    user, _created = get_user_model().objects.get_or_create(username="bench-importer")
    tag = f"b{int(time.time())}"

    started = time.perf_counter()
    csv_import = services.upload_import(
        upload=SimpleUploadedFile("bench.csv", csv_file(rows, tag)), kind="prospects", actor=user
    )
    upload_s = time.perf_counter() - started
    defaults = {"kind": "prospect", "source": "public_register"}
    dry_s, dry_cpu = timed(
        lambda: services.start_dry_run(
            csv_import=csv_import, mapping=csv_import.mapping, defaults=defaults,
            purpose=None, actor=user,
        )
    )  # fmt: skip
    apply_s, apply_cpu = timed(lambda: services.confirm_import(csv_import=csv_import, actor=user))
    csv_import.refresh_from_db()
    if csv_import.status != ImportStatus.APPLIED:
        raise BenchFailed(f"the import ended {csv_import.status}: {csv_import.error}")
    if [e[:2] for e in csv_import.result] != [e[:2] for e in csv_import.plan]:
        raise BenchFailed("the dry run and the result differ")
    if csv_import.counts != {"create": rows, "refuse": 1} or csv_import.content is not None:
        raise BenchFailed(f"unexpected result {csv_import.counts}")

    people = [
        DataSubject(
            kind="prospect", first_name=f"Mari{n}", last_name="Tamm-Kask",
            work_email=f"base{tag}{n}@bench.example", position="Engineer", country="EE",
            external_id=f"base{tag}-{n}", source="public_register",
        )
        for n in range(rows)
    ]  # fmt: skip

    def baseline(part: list[DataSubject]) -> Callable[[], None]:
        def run() -> None:
            with transaction.atomic():
                DataSubject.objects.bulk_create(part, batch_size=1000)

        return run

    base_s = base_cpu = 0.0
    per_row = []
    for run in range(MIN_BASELINE_RUNS):
        part = people[run::MIN_BASELINE_RUNS]
        part_s, part_cpu = timed(baseline(part))
        base_s, base_cpu = base_s + part_s, base_cpu + part_cpu
        per_row.append(part_s / len(part))
    ratio = bench.ratio(apply_s / rows, per_row)
    print(f"{rows} rows: upload {upload_s:.1f} s, dry run {dry_s:.1f} s (CPU {dry_cpu:.1f} s)")
    print(
        f"apply {apply_s:.1f} s (CPU {apply_cpu:.1f} s): {rows / apply_s:.0f} rows/s; "
        f"baseline bulk_create {base_s:.1f} s (CPU {base_cpu:.1f} s) in {MIN_BASELINE_RUNS} "
        f"runs, spread {ratio.spread_pct:.1f} %: apply / baseline {ratio}"
    )
    bench.line(
        rows=rows,
        upload_s=f"{upload_s:.2f}",
        dry_run_s=f"{dry_s:.2f}",
        apply_s=f"{apply_s:.2f}",
        apply_cpu_s=f"{apply_cpu:.2f}",
        rows_per_s=f"{rows / apply_s:.0f}",
        baseline_s=f"{base_s:.2f}",
        baseline_cpu_s=f"{base_cpu:.2f}",
        **ratio.figures(),
    )
    bench.finish()


if __name__ == "__main__":
    main()
