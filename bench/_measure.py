"""How a benchmark measures itself honestly: the machine's load beside every figure, and no
ratio against a baseline that does not agree with itself.

Every benchmark makes one `Bench` when it starts and prints its figures through `Bench.line`:
each `BENCH <script> key=value …` line ends with `load_before=… load_after=… cpus=…` — the
1-minute load average when the line's part began (the start, or the previous line) and when
it ended, and the machine's CPU count (a load of 4 is a busy 2-core machine and an idle
8-core one).

A ratio to a baseline measured in the same run (raw SQL, `bulk_create`, the documents alone)
is only as good as the baseline: when the baseline's own runs disagree, the machine changed
under the measurement and the ratio says nothing. So a baseline runs at least three times,
and its spread is

    spread = (slowest run − fastest run) / median run

the range over the median, in per cent (with three runs a standard deviation is a guess; the
range is what a reader checks by eye). Above 20 % the ratio is refused: the line says
`ratio=refused baseline_spread_pct=…`, and at full size the script, after printing all its
figures, ends with exit status 3 (`REFUSED`), so a figure taken on a noisy machine is never
mistaken for one. At `--smoke` size the runs take milliseconds and are noisy by nature: the
spread and `ratio=refused` are printed all the same, but the exit status stays 0 — CI checks
that every benchmark runs and its result is right, not that the machine is quiet.

A page or a login timed many times is one measurement of many loads: `block_medians` cuts its
timings into three consecutive blocks and takes each block's median as a run, so the spread
asks whether the machine stayed the same from the first loads to the last, not whether single
loads differ (they do; that is what the p95 is for).

Not `_setup`: this module sets nothing up, so the unit tests import it without Django.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass

MAX_SPREAD_PCT = 20.0
MIN_BASELINE_RUNS = 3
# Distinct from 1 (BenchFailed: a result that is wrong) and 2 (argparse: a usage error).
REFUSED = 3
# What tests/test_bench_smoke.py reads: a key, `=`, a value without spaces.
KEY = re.compile(r"[a-z0-9_]+")
VALUE = re.compile(r"[^\s=]+")
ADDED_KEYS = ("load_before", "load_after", "cpus")


def machine_load() -> float:
    """The 1-minute load average: processes running or waiting for a core, this one included."""
    return os.getloadavg()[0]


def spread_pct(runs: Sequence[float]) -> float:
    """(slowest − fastest) / median of a baseline's runs, in per cent."""
    if len(runs) < MIN_BASELINE_RUNS:
        raise ValueError(
            f"a baseline's spread needs at least {MIN_BASELINE_RUNS} runs, not {len(runs)}"
        )
    median = statistics.median(runs)
    if median <= 0:  # too fast to time: nothing to divide by
        return math.inf
    return (max(runs) - min(runs)) * 100 / median


def block_medians(timings: Sequence[float], blocks: int = MIN_BASELINE_RUNS) -> list[float]:
    """The medians of `blocks` consecutive, nearly equal blocks of the timings, in order."""
    if len(timings) < blocks:
        raise ValueError(f"{len(timings)} timings do not make {blocks} blocks")
    size, longer = divmod(len(timings), blocks)
    medians, start = [], 0
    for block in range(blocks):
        end = start + size + (block < longer)
        medians.append(statistics.median(timings[start:end]))
        start = end
    return medians


@dataclass(frozen=True)
class Ratio:
    """The measured figure over the median of the baseline's runs, both in one unit (seconds,
    seconds per row); refused when the runs spread over `MAX_SPREAD_PCT`."""

    measured: float
    baseline_runs: tuple[float, ...]

    def __post_init__(self) -> None:
        spread_pct(self.baseline_runs)  # fewer than three runs is a benchmark's mistake

    @property
    def baseline(self) -> float:
        return statistics.median(self.baseline_runs)

    @property
    def spread_pct(self) -> float:
        return spread_pct(self.baseline_runs)

    @property
    def refused(self) -> bool:
        return self.spread_pct > MAX_SPREAD_PCT

    def __str__(self) -> str:
        return "refused" if self.refused else f"{self.measured / self.baseline:.2f}"

    def figures(
        self, key: str = "ratio", spread_key: str = "baseline_spread_pct"
    ) -> dict[str, str]:
        return {key: str(self), spread_key: f"{self.spread_pct:.1f}"}


def bench_line(script: str, figures: dict[str, object]) -> str:
    """`BENCH <script> key=value …`, refused here rather than by CI's reading of it."""
    pairs = []
    for key, value in figures.items():
        shown = str(value)
        if not KEY.fullmatch(key) or not VALUE.fullmatch(shown):
            raise ValueError(f"BENCH {script}: {key}={shown!r} is not a key=value without spaces")
        pairs.append(f"{key}={shown}")
    return " ".join([f"BENCH {script}", *pairs])


class Bench:
    """One run of a benchmark: the load since its last line, its ratios, its exit status."""

    def __init__(self, script: str, *, smoke: bool) -> None:
        self.script = script
        self.smoke = smoke
        self.refusals: list[str] = []
        self._load_before = machine_load()

    def ratio(
        self, measured: float, baseline_runs: Sequence[float], *, name: str = "ratio"
    ) -> Ratio:
        ratio = Ratio(measured, tuple(baseline_runs))
        if ratio.refused:
            self.refusals.append(
                f"{name}: the baseline's {len(baseline_runs)} runs spread {ratio.spread_pct:.1f} %"
            )
        return ratio

    def line(self, **figures: object) -> str:
        """Print the figures with the load before and after them; the next line's part
        starts here."""
        taken = [key for key in ADDED_KEYS if key in figures]
        if taken:
            raise ValueError(f"BENCH {self.script}: {taken} are the load's, added here")
        load_after = machine_load()
        figures |= {
            "load_before": f"{self._load_before:.2f}",
            "load_after": f"{load_after:.2f}",
            "cpus": os.cpu_count() or 1,
        }
        self._load_before = load_after
        text = bench_line(self.script, figures)
        print(text, flush=True)
        return text

    def finish(self) -> None:
        """After the last line: a refused ratio ends a full-size run with `REFUSED`."""
        if not self.refusals:
            return
        why = f"{'; '.join(self.refusals)}, over {MAX_SPREAD_PCT:.0f} %: no ratio"
        if self.smoke:
            print(f"{self.script} --smoke: {why} (tiny sizes are noisy: exit status 0)")
            return
        print(f"bench/{self.script}.py: {why}; measure again on a quieter machine", file=sys.stderr)
        sys.exit(REFUSED)


def page_bench_arguments(
    parser: argparse.ArgumentParser, smoke: dict[str, int]
) -> argparse.Namespace:
    """The arguments of a benchmark that loads pages `--loads` times beside a baseline on
    PostgreSQL: `--smoke` takes the sizes in `smoke`, the loads must give the baseline its
    runs, and the database must be PostgreSQL (Django is set up by then: `_setup`)."""
    from django.db import connection

    args = parser.parse_args()
    if args.smoke:
        vars(args).update(smoke)
    if args.loads < MIN_BASELINE_RUNS:
        parser.error(f"--loads must be at least {MIN_BASELINE_RUNS}: the baseline's runs")
    if connection.vendor != "postgresql":
        sys.exit("Run the benchmark on PostgreSQL: set DATABASE_URL.")
    return args
