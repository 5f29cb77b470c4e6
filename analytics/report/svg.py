"""Server-side charts for the annual report: matplotlib figures as inline SVG (a PDF cannot run Chart.js).

Text is drawn as paths (svg.fonttype = path), so the SVG shows Chinese labels wherever it is opened and
WeasyPrint needs no font for it. The first installed CJK family of CJK_FONTS is used.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

from markupsafe import Markup
from matplotlib import font_manager, rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei")
FALLBACK_FONT = "DejaVu Sans"
PALETTE = ("#0b4f8a", "#d9822b", "#1e6b34", "#b3261e", "#6a4c93", "#0f8b8d")
WIDTH_IN = 7.0  # fits an A4 page between 2 cm margins


def font_families() -> list[str]:
    """Installed CJK families in order of preference, then the fallback (asking for a missing family only
    makes matplotlib log a warning per figure)."""
    installed = {font.name for font in font_manager.fontManager.ttflist}
    return [name for name in CJK_FONTS if name in installed] + [FALLBACK_FONT]


def _percent(value: float, _position: Any) -> str:
    return f"{value * 100:.0f}%"


def _to_svg(figure: Figure, key: str) -> Markup:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buffer.getvalue()
    # Inline SVG: drop the XML declaration and doctype; give the ids a per-chart prefix.
    text = re.sub(r"^.*?(<svg\b)", r"\1", text, count=1, flags=re.S)
    text = _prefix_ids(text, key)
    return Markup(text.replace("<svg ", f'<svg class="chart" data-chart="{key}" role="img" ', 1))


def _prefix_ids(text: str, key: str) -> str:
    """Prefix every id (and each reference to it) with `key`: matplotlib numbers its elements and glyphs
    per figure, so two inline charts would otherwise define the same ids."""
    ids = set(re.findall(r'\bid="([^"]+)"', text))

    def local(match: re.Match[str]) -> str:
        name = match.group(2)
        return f"{match.group(1)}{key}-{name}" if name in ids else match.group(0)

    text = re.sub(r'(\bid=")([^"]+)', local, text)
    text = re.sub(r"(url\(#)([^)]+)", local, text)
    return re.sub(r'(href="#)([^"]+)', local, text)


def _style(key: str) -> dict[str, Any]:
    return {
        "font.family": font_families(),
        "font.size": 9,
        "svg.fonttype": "path",
        "svg.hashsalt": key,
        "axes.unicode_minus": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }


def line_svg(
    key: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    percent: bool = True,
) -> Markup:
    """Lines over the x labels (months); None values leave a gap."""
    with rc_context(_style(key)):
        figure = Figure(figsize=(WIDTH_IN, 3.2))
        axes = figure.subplots()
        positions = range(len(labels))
        for index, (name, values) in enumerate(series):
            ys = [float("nan") if v is None else float(v) for v in values]
            axes.plot(
                positions,
                ys,
                marker="o",
                markersize=3,
                linewidth=1.6,
                label=name,
                color=PALETTE[index % len(PALETTE)],
            )
        axes.set_xticks(list(positions), labels, rotation=45, ha="right")
        if percent:
            axes.set_ylim(0, 1.05)
            axes.yaxis.set_major_formatter(FuncFormatter(_percent))
        axes.grid(axis="y", color="#d5dde6", linewidth=0.6)
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=min(5, len(series)), frameon=False)
        return _to_svg(figure, key)


def bar_svg(
    key: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    percent: bool = True,
    horizontal: bool = True,
    stacked: bool = False,
    value_range: tuple[float, float] | None = None,
) -> Markup:
    """Grouped bars per label (departments: horizontal, one row each); None draws no bar. `stacked` draws
    the series on one bar per label (one value per label, the colour marking its kind)."""
    with rc_context(_style(key)):
        rows = max(1, len(labels))
        bars = 1 if stacked else max(1, len(series))
        height = 0.8 + rows * 0.3 * bars if horizontal else 2.4
        figure = Figure(figsize=(WIDTH_IN, height))
        axes = figure.subplots()
        width = 0.8 / bars
        for index, (name, values) in enumerate(series):
            slot = 0 if stacked else index
            offsets = [i - 0.4 + width * (slot + 0.5) for i in range(rows)]
            numbers = [0.0 if v is None else float(v) for v in values]
            colour = PALETTE[index % len(PALETTE)]
            if horizontal:
                axes.barh(offsets, numbers, height=width, label=name, color=colour)
            else:
                axes.bar(offsets, numbers, width=width, label=name, color=colour)
        value_axis = axes.xaxis if horizontal else axes.yaxis
        if horizontal:
            axes.set_yticks(range(rows), labels)
            axes.invert_yaxis()  # first label on top, as in the table
            if percent:
                axes.set_xlim(0, 1)
            elif value_range:
                axes.set_xlim(*value_range)
        else:
            axes.set_xticks(range(rows), labels, rotation=45, ha="right")
            value_axis.set_major_locator(MaxNLocator(integer=True))
        if percent:
            value_axis.set_major_formatter(FuncFormatter(_percent))
        axes.grid(axis="x" if horizontal else "y", color="#d5dde6", linewidth=0.6)
        axes.set_axisbelow(True)
        if len(series) > 1:
            axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(series), frameon=False)
        return _to_svg(figure, key)


def interval_svg(
    key: str,
    labels: Sequence[str],
    estimates: Sequence[float | None],
    lows: Sequence[float | None],
    highs: Sequence[float | None],
    targets: Sequence[float | None] | None = None,
    value_range: tuple[float, float] = (0.0, 100.0),
) -> Markup:
    """One row per label: the estimate as a point on its [low, high] interval, an optional target mark per
    row; None (a suppressed cell) draws nothing on its row."""
    with rc_context(_style(key)):
        rows = max(1, len(labels))
        figure = Figure(figsize=(WIDTH_IN, 0.9 + rows * 0.32))
        axes = figure.subplots()
        for row, (estimate, low, high) in enumerate(zip(estimates, lows, highs, strict=True)):
            if low is not None and high is not None:
                axes.plot(
                    [low, high], [row, row], color=PALETTE[0], linewidth=5, alpha=0.35, solid_capstyle="butt"
                )
            if estimate is not None:
                axes.plot([estimate], [row], marker="D", markersize=5, color=PALETTE[1], linestyle="none")
        legend = [("point", PALETTE[1], "估计值"), ("interval", PALETTE[0], "95%置信区间")]
        if targets is not None:
            for row, target in enumerate(targets):
                if target is not None:
                    axes.plot([target, target], [row - 0.35, row + 0.35], color=PALETTE[3], linewidth=2)
            legend.append(("target", PALETTE[3], "目标值"))
        handles = [
            axes.plot(
                [],
                [],
                marker="D" if kind == "point" else None,
                linestyle="none" if kind == "point" else "-",
                linewidth=5 if kind == "interval" else 2,
                alpha=0.35 if kind == "interval" else 1,
                color=colour,
                label=text,
            )[0]
            for kind, colour, text in legend
        ]
        axes.set_yticks(range(rows), labels)
        axes.set_ylim(rows - 0.5, -0.5)  # first label on top, as in the table
        axes.set_xlim(*value_range)
        axes.grid(axis="x", color="#d5dde6", linewidth=0.6)
        axes.set_axisbelow(True)
        axes.legend(
            handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(handles), frameon=False
        )
        return _to_svg(figure, key)


def quadrant_svg(
    key: str,
    points: Sequence[tuple[str, float, float]],
    x_cut: float,
    y_cut: float,
    x_title: str,
    y_title: str,
) -> Markup:
    """Labelled points with dashed lines at the cuts: the importance-performance quadrants."""
    with rc_context(_style(key)):
        figure = Figure(figsize=(WIDTH_IN, 4.2))
        axes = figure.subplots()
        xs, ys = [p[1] for p in points], [p[2] for p in points]
        axes.scatter(xs, ys, s=28, color=PALETTE[0], zorder=3)
        for label, x, y in points:
            axes.annotate(label, (x, y), xytext=(6, 4), textcoords="offset points", fontsize=8.5)
        axes.axvline(x_cut, color="#55606e", linestyle="--", linewidth=1)
        axes.axhline(y_cut, color="#55606e", linestyle="--", linewidth=1)
        # Room around the points so their labels and both sides of each cut stay visible.
        for setter, values, cut in ((axes.set_xlim, xs, x_cut), (axes.set_ylim, ys, y_cut)):
            low, high = min([*values, cut]), max([*values, cut])
            pad = max((high - low) * 0.15, 1e-3 if high < 10 else 0.5)
            setter(low - pad, high + pad * 1.6)
        axes.set_xlabel(x_title)
        axes.set_ylabel(y_title)
        axes.grid(color="#d5dde6", linewidth=0.6)
        axes.set_axisbelow(True)
        return _to_svg(figure, key)
