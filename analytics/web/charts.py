"""Chart specs for core/static/charts.js: plain JSON-able dicts, one builder per chart kind.

A page puts a spec in a `<script type="application/json">` block with the `chart` macro of
analytics/_charts.html; charts.js draws it with Chart.js. Labels may be lazy translations, so every text
is turned into str here. Values are numbers or None (a gap).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Number = float | int | None
FORMATS = ("percent", "number", "days", "yuan")
ROW_HEIGHT = 22  # px per bar of a horizontal chart, so long department lists stay legible


def _numbers(values: Sequence[Any]) -> list[float | None]:
    return [None if v is None else float(v) for v in values]


def _base(kind: str, value_format: str, **extra: Any) -> dict[str, Any]:
    if value_format not in FORMATS:
        raise ValueError(f"unknown chart format {value_format!r}")
    spec = {"kind": kind, "format": value_format}
    spec.update(
        {k: (str(v) if k.endswith(("_title", "_label")) and v is not None else v) for k, v in extra.items()}
    )
    return spec


def _height(categories: int, horizontal: bool, bars_per_category: int = 1, default: int = 300) -> int:
    return max(160, 80 + categories * max(1, bars_per_category) * ROW_HEIGHT) if horizontal else default


def line_chart(
    labels: Sequence[Any],
    series: Sequence[tuple[Any, Sequence[Any]]],
    value_format: str = "percent",
    y_title: Any = None,
    minimum: Number = None,
    maximum: Number = None,
) -> dict[str, Any]:
    """Trend lines: one series per (label, values) over the x labels (e.g. months)."""
    return _base(
        "line",
        value_format,
        labels=[str(label) for label in labels],
        series=[{"label": str(name), "data": _numbers(values)} for name, values in series],
        y_title=y_title,
        min=minimum,
        max=maximum,
    )


def bar_chart(
    labels: Sequence[Any],
    series: Sequence[tuple[Any, Sequence[Any]]],
    value_format: str = "percent",
    horizontal: bool = True,
    x_title: Any = None,
    minimum: Number = None,
    maximum: Number = None,
    stacked: bool = False,
) -> dict[str, Any]:
    """Bars per category (e.g. department), one colour per series; horizontal by default. `stacked` puts
    the series on one bar: with one value per category and None elsewhere, the colour marks a kind."""
    return _base(
        "bar",
        value_format,
        labels=[str(label) for label in labels],
        series=[{"label": str(name), "data": _numbers(values)} for name, values in series],
        horizontal=horizontal,
        stacked=stacked,
        height=_height(len(labels), horizontal, 1 if stacked else len(series)),
        x_title=x_title,
        min=minimum,
        max=maximum,
    )


def quadrant_scatter(
    points: Sequence[tuple[Any, Number, Number]],
    x_cut: Number,
    y_cut: Number,
    x_title: Any,
    y_title: Any,
    value_format: str = "number",
) -> dict[str, Any]:
    """Labelled points with dashed lines at (x_cut, y_cut): the importance-performance quadrants."""
    return _base(
        "scatter",
        value_format,
        points=[
            {"label": str(label), "x": _numbers([x])[0], "y": _numbers([y])[0]} for label, x, y in points
        ],
        guides={"x": x_cut, "y": y_cut},
        x_title=x_title,
        y_title=y_title,
        height=360,
    )


def interval_chart(
    labels: Sequence[Any],
    estimates: Sequence[Any],
    lows: Sequence[Any],
    highs: Sequence[Any],
    estimate_label: Any,
    interval_label: Any,
    value_format: str = "number",
    target: Number = None,
    horizontal: bool = True,
    minimum: Number = None,
    maximum: Number = None,
    targets: Sequence[Any] | None = None,
    target_label: Any = None,
) -> dict[str, Any]:
    """A point estimate per category with its [low, high] interval as a floating bar; an optional target
    line for all (`target`) or a target mark per category (`targets`, None: no mark)."""
    if not len(labels) == len(estimates) == len(lows) == len(highs):
        raise ValueError("labels, estimates, lows and highs differ in length")
    if targets is not None and len(targets) != len(labels):
        raise ValueError("targets and labels differ in length")
    guides = {} if target is None else ({"x": target} if horizontal else {"y": target})
    return _base(
        "interval",
        value_format,
        labels=[str(label) for label in labels],
        estimates=_numbers(estimates),
        lows=_numbers(lows),
        highs=_numbers(highs),
        estimate_label=estimate_label,
        interval_label=interval_label,
        guides=guides,
        horizontal=horizontal,
        height=_height(len(labels), horizontal),
        min=minimum,
        max=maximum,
        targets=None if targets is None else _numbers(targets),
        target_label=target_label,
    )
