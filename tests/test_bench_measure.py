"""The benchmarks' honesty helper (`bench/_measure.py`): the load on every line, a baseline's
spread, and no ratio when its runs disagree by more than 20 %. No database: pure arithmetic."""

from __future__ import annotations

import math
import os
from importlib import import_module
from typing import TYPE_CHECKING

import pytest

from tests.test_bench_smoke import summary

if TYPE_CHECKING:
    # The benchmarks import it as `_measure` (bench/ is their script folder); mypy checks it
    # under that name, the tests import it from the repository's root.
    import _measure as measure
else:
    measure = import_module("bench._measure")


@pytest.fixture
def load(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The 1-minute load averages the machine reports, one per reading, in order."""
    readings = [0.5, 1.25, 3.0]
    monkeypatch.setattr(os, "getloadavg", lambda: (readings.pop(0), 0.0, 0.0))
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    return readings


def test_the_spread_is_the_range_over_the_median() -> None:
    assert measure.spread_pct([10.0, 11.0, 12.0]) == pytest.approx(2 / 11 * 100)
    assert measure.spread_pct([2.0, 1.0, 1.0, 1.0]) == 100.0
    assert measure.spread_pct([5.0, 5.0, 5.0]) == 0.0


def test_a_baseline_too_fast_to_time_has_no_spread_to_trust() -> None:
    assert measure.spread_pct([0.0, 0.0, 0.001]) == math.inf
    assert measure.Ratio(1.0, (0.0, 0.0, 0.0)).refused


def test_a_spread_needs_three_runs() -> None:
    with pytest.raises(ValueError, match="at least 3 runs"):
        measure.spread_pct([1.0, 1.1])
    with pytest.raises(ValueError, match="at least 3 runs"):
        measure.Ratio(1.0, (1.0, 1.1))


def test_a_ratio_is_given_at_20_percent_and_refused_above() -> None:
    at_the_limit = measure.Ratio(3.0, (10.0, 12.0, 10.0))
    assert at_the_limit.spread_pct == 20.0
    assert str(at_the_limit) == "0.30"
    assert at_the_limit.figures() == {"ratio": "0.30", "baseline_spread_pct": "20.0"}

    above = measure.Ratio(3.0, (10.0, 12.01, 10.0))
    assert above.refused
    assert above.figures("ratio_shortest", "shortest_baseline_spread_pct") == {
        "ratio_shortest": "refused",
        "shortest_baseline_spread_pct": "20.1",
    }


def test_the_ratio_is_over_the_median_run_not_the_mean() -> None:
    assert str(measure.Ratio(1.5, (1.0, 1.1, 0.95))) == "1.50"


def test_many_loads_make_three_runs_of_consecutive_blocks() -> None:
    assert measure.block_medians([1.0, 2.0, 3.0, 4.0, 5.0]) == [1.5, 3.5, 5.0]
    assert measure.block_medians([9.0, 1.0, 1.0]) == [9.0, 1.0, 1.0]
    # A machine that grew busy half-way through: the blocks disagree, whatever single loads do.
    quiet, busy = [10.0, 30.0, 10.0, 10.0], [20.0, 20.0, 60.0, 20.0]
    assert measure.spread_pct(measure.block_medians(quiet + quiet + busy)) == 100.0
    assert measure.spread_pct(measure.block_medians(quiet * 3)) == 0.0
    with pytest.raises(ValueError):
        measure.block_medians([1.0, 2.0])


def test_every_line_carries_the_load_before_and_after_and_the_cpus(
    load: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    bench = measure.Bench("purge", smoke=True)
    first = bench.line(mode="expired", rows=2000, ratio="1.19")
    second = bench.line(mode="steady", seconds="0.250")

    assert first == (
        "BENCH purge mode=expired rows=2000 ratio=1.19 load_before=0.50 load_after=1.25 cpus=2"
    )
    # The second part began where the first ended.
    assert second == "BENCH purge mode=steady seconds=0.250 load_before=1.25 load_after=3.00 cpus=2"
    assert capsys.readouterr().out.splitlines() == [first, second]
    assert summary("purge").match(first) and summary("purge").match(second)


def test_a_line_refuses_what_ci_could_not_read(load: list[float]) -> None:
    bench = measure.Bench("report", smoke=True)
    with pytest.raises(ValueError, match="without spaces"):
        bench.line(case="two words")
    with pytest.raises(ValueError, match="without spaces"):
        bench.line(**{"Median-ms": "1.0"})
    with pytest.raises(ValueError, match="the load's"):
        bench.line(load_before="0.1")


def test_a_refused_ratio_ends_a_full_size_run_with_its_own_status(
    load: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    bench = measure.Bench("csv_import", smoke=False)
    ratio = bench.ratio(2.0, [1.0, 1.5, 1.0])
    bench.line(**ratio.figures())

    with pytest.raises(SystemExit) as ended:
        bench.finish()

    assert ended.value.code == measure.REFUSED == 3
    out, err = capsys.readouterr()
    assert "ratio=refused baseline_spread_pct=50.0 " in out
    assert "runs spread 50.0 %" in err


def test_at_smoke_size_a_refused_ratio_is_shown_and_the_run_exits_0(
    load: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    bench = measure.Bench("csv_import", smoke=True)
    bench.line(**bench.ratio(2.0, [1.0, 1.5, 1.0]).figures())

    bench.finish()  # no SystemExit

    out = capsys.readouterr().out
    assert "ratio=refused baseline_spread_pct=50.0 " in out
    assert "exit status 0" in out


def test_a_steady_baseline_gives_its_ratio_and_a_full_size_run_ends_normally(
    load: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    bench = measure.Bench("api", smoke=False)
    bench.line(**bench.ratio(1.62, [1.0, 1.05, 0.98]).figures())

    bench.finish()

    assert "ratio=1.62 baseline_spread_pct=7.0 " in capsys.readouterr().out
