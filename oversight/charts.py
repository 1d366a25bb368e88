"""Server-rendered SVG charts: the geometry here, the markup in `dashboard/_chart.html`.

Readable without colour: every series has its own fill pattern (solid, hatched, dotted) shown
in the legend, each bar carries its value as text when there is room and as a tooltip
(`<title>`) always, and every chart has its numbers as a table beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

from oversight.figures import Bar, Chart

WIDTH = 640
HEIGHT = 200
AXIS = 28  # room for the labels under the bars
TOP = 16  # room for the value over the tallest bar
LEFT = 8
PATTERNS = ("solid", "hatch", "dots")
# Label every n-th bar on the time axis so that labels never overlap.
MAX_AXIS_LABELS = 13


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    value: float
    label: str
    series: str
    pattern: str
    show_value: bool

    @property
    def text(self) -> str:
        return _number(self.value)


@dataclass(frozen=True)
class AxisLabel:
    x: float
    text: str


@dataclass(frozen=True)
class Drawing:
    chart: Chart
    rects: list[Rect]
    axis: list[AxisLabel]
    width: int
    height: int
    baseline: float
    legend: list[tuple[str, str]]
    empty: bool


def _number(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))


def columns(chart: Chart) -> Drawing:
    """Vertical bars, one group per bar, one column per series."""
    bars = chart.bars
    series = len(chart.series)
    peak = max((v for bar in bars for v in bar.values), default=0) or 1
    plot_height = HEIGHT - AXIS - TOP
    slot = (WIDTH - LEFT * 2) / max(len(bars), 1)
    column = slot * 0.8 / series
    rects = []
    axis = []
    every = max(1, -(-len(bars) // MAX_AXIS_LABELS))
    for index, bar in enumerate(bars):
        x0 = LEFT + index * slot + slot * 0.1
        for n, value in enumerate(bar.values):
            height = plot_height * value / peak
            rects.append(
                Rect(
                    x=round(x0 + n * column, 1),
                    y=round(TOP + plot_height - height, 1),
                    width=round(max(column - 1, 1), 1),
                    height=round(height, 1),
                    value=value,
                    label=bar.label,
                    series=chart.series[n],
                    pattern=PATTERNS[n % len(PATTERNS)],
                    show_value=column >= 14 and value > 0,
                )
            )
        if index % every == 0:
            axis.append(AxisLabel(x=round(x0 + slot * 0.4, 1), text=bar.label))
    return Drawing(
        chart=chart,
        rects=rects,
        axis=axis,
        width=WIDTH,
        height=HEIGHT,
        baseline=TOP + plot_height,
        legend=[(name, PATTERNS[n % len(PATTERNS)]) for n, name in enumerate(chart.series)],
        empty=not any(v for bar in bars for v in bar.values),
    )


ROW = 22
LABEL_WIDTH = 190


@dataclass(frozen=True)
class Row:
    y: float
    width: float
    value: float
    label: str
    url: str

    @property
    def text(self) -> str:
        return _number(self.value)


@dataclass(frozen=True)
class RowDrawing:
    chart: Chart
    rows: list[Row]
    width: int
    height: int
    label_width: int
    empty: bool


def rows(chart: Chart) -> RowDrawing:
    """Horizontal bars with the label on the left and the value at the bar's end."""
    bars: list[Bar] = chart.bars
    peak = max((bar.value for bar in bars), default=0) or 1
    room = WIDTH - LABEL_WIDTH - 60
    return RowDrawing(
        chart=chart,
        rows=[
            Row(
                y=index * ROW,
                width=round(room * bar.value / peak, 1),
                value=bar.value,
                label=bar.label,
                url=bar.url,
            )
            for index, bar in enumerate(bars)
        ],
        width=WIDTH,
        height=max(len(bars), 1) * ROW,
        label_width=LABEL_WIDTH,
        empty=not any(bar.value for bar in bars),
    )
