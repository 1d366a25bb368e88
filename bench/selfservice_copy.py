"""Benchmark of the self-service copy on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/po_copy_bench python bench/selfservice_copy.py
    ... python bench/selfservice_copy.py --smoke     # tiny, checked (CI)

Builds a person's own copy — the access report and the portability package, stored encrypted
in the cache, with the progress rows the page polls — for (a) a typical person, 50 records of
every kind, and (b) a heavy one, 2 000 of each, `--loads` times each. Baseline, measured in
the same run: the two documents built directly, as the DPO's answer builds them, without the
claim, the progress updates and the cache — at least three times, each before a copy while
copies last; the ratio of the medians is refused when the baseline's runs spread over 20 %
(`bench/_measure.py`). Checks the copy decrypts to the person's report and holds nothing of
a colleague. Goal: (a) under 3 s, the copy costing little more than its documents. A
machine-readable line per case: `BENCH selfservice_copy case=… key=value`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from importlib import import_module

import _setup  # noqa: F401  (first: the project root on sys.path, Django set up)
from _measure import MIN_BASELINE_RUNS, Bench
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from core.crypto import decrypt
from reports.documents import build_access_report
from reports.portability import build_portability_package
from selfservice.copies import REPORT, _key, run_copy_build
from selfservice.models import SelfServiceCopy
from subjects.models import DataSubject, Organisation

# The people of the report benchmark (its records of every kind); imported by name, as the
# benchmarks are scripts rather than a package.
person_with: Callable[..., DataSubject] = import_module("bench.report").person_with


class BenchFailed(SystemExit):
    def __init__(self, message: str) -> None:
        super().__init__(f"bench/selfservice_copy.py: {message}")


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def documents_alone(person: DataSubject) -> None:
    build_access_report(subject=person)
    build_portability_package(subject=person)


def measure(bench: Bench, case: str, person: DataSubject, loads: int) -> None:
    from tests.reports_helpers import pdf_text

    copies: list[float] = []
    direct: list[float] = []
    for i in range(max(loads, MIN_BASELINE_RUNS)):
        direct.append(timed(lambda: documents_alone(person)))
        if i >= loads:  # the baseline's further runs, for its spread
            continue
        copy = SelfServiceCopy.objects.create(subject=person)
        copy_id = copy.pk
        copies.append(timed(lambda: run_copy_build(copy_id=copy_id)))  # noqa: B023 (called at once)
        copy.refresh_from_db()
        if copy.status != "ready":
            raise BenchFailed(f"{case}: the copy is {copy.status}")
        if i == 0:
            text = pdf_text(decrypt(cache.get(_key(copy.pk, REPORT))))
            if person.first_name not in text or "ColleagueFirst" in text:
                raise BenchFailed(f"{case}: the copy is not the person's own")
    median, worst = statistics.median(copies), max(copies)
    ratio = bench.ratio(median, direct)
    base = ratio.baseline
    print(
        f"{case:<8} copy median {median:6.2f} s  worst {worst:6.2f} s  "
        f"baseline (documents alone) {base:6.2f} s  overhead {median - base:+.2f} s  "
        f"ratio {ratio} (baseline's spread {ratio.spread_pct:.1f} %)"
    )
    bench.line(
        case=case,
        median_s=f"{median:.3f}",
        worst_s=f"{worst:.3f}",
        baseline_s=f"{base:.3f}",
        **ratio.figures(),
        loads=loads,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--smoke", action="store_true", help="one tiny person, one copy, three baselines: CI"
    )
    parser.add_argument("--loads", type=int, default=3)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("The benchmark needs PostgreSQL: set DATABASE_URL.")
    bench = Bench("selfservice_copy", smoke=args.smoke)
    settings.DEBUG = False
    from core.seeding import seed_all

    seed_all()
    # --smoke: one person of 20 records of each kind. At that size the two cases were the same
    # tiny person twice; the baseline's two further runs now cost what the second one did.
    cases, loads = (
        ({"heavy": 20}, 1) if args.smoke else ({"typical": 50, "heavy": 2000}, args.loads)
    )
    company = Organisation.objects.create(name="Copy Bench OÜ", country="EE", status="paying")
    person_with(3, tag="Colleague", organisation=company)
    people = {
        case: person_with(records, tag=case.title(), organisation=company)
        for case, records in cases.items()
    }
    shown = ", ".join(f"{case}: {n} records of each kind" for case, n in cases.items())
    print(f"{shown}; {loads} loads")
    for case, person in people.items():
        measure(bench, case, person, loads)
    bench.finish()


if __name__ == "__main__":
    main()
