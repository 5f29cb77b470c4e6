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
) -> Markup:
    """Grouped bars per label (departments: horizontal, one row each); None draws no bar."""
    with rc_context(_style(key)):
        rows = max(1, len(labels))
        height = 0.8 + rows * 0.3 * max(1, len(series)) if horizontal else 2.4
        figure = Figure(figsize=(WIDTH_IN, height))
        axes = figure.subplots()
        width = 0.8 / max(1, len(series))
        for index, (name, values) in enumerate(series):
            offsets = [i - 0.4 + width * (index + 0.5) for i in range(rows)]
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
