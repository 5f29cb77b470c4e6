"""The three-rate panel: every department's 三率 score (响应率, 解决率, 满意率) with its 95 % interval and
fair rank, from analytics.services.three_rate.rank_units with the configured weights and minimum cases."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from analytics.kpis import KPI_BY_CODE
from analytics.services.three_rate import RATES, rank_units
from analytics.web import charts
from analytics.web.common import Filters
from analytics.web.panel_content import PanelContent
from analytics.web.presenters import format_kpi, key_labeler, kpi_name
from analytics.web.quality_presenters import INTERVAL_HEADER, interval_text, not_ranked_text, number

WEIGHT_KEYS = ("response", "resolution", "satisfaction")


def weights_note(ranking: dict[str, Any]) -> str:
    """The score's formula with the weights in force, and the ranking rule."""
    terms = " + ".join(
        f"{ranking['weights'][key]:.2f} × {kpi_name(KPI_BY_CODE[code])}"
        for key, code in zip(WEIGHT_KEYS, RATES, strict=True)
    )
    return _(
        "Score = 100 × (%(terms)s). A department is ranked only when every weighted rate rests on at "
        "least %(n)s cases. The 95 %% interval treats the three rates as independent proportions: "
        "departments whose intervals overlap are not clearly different.",
        terms=terms,
        n=ranking["min_cases"],
    )


def unit_rows(ranking: dict[str, Any], selected: str | None) -> list[dict[str, Any]]:
    """One row per department as the service ranked them (ranked first, best first)."""
    label = key_labeler("department")
    rows = []
    for unit in ranking["units"]:
        rows.append(
            {
                "unit": unit,
                "label": label(unit["key"]),
                "code": unit["key"] or "",
                "rates": [
                    {
                        "code": code,
                        "value": unit[code]["value"],
                        "display": format_kpi(code, unit[code]["value"]),
                        "n": unit[code]["n"],
                    }
                    for code in RATES
                ],
                "score": number(unit["score"]),
                "interval": interval_text(unit["ci_low"], unit["ci_high"]),
                "reason": not_ranked_text(unit, ranking["min_cases"]),
                "selected": bool(selected) and unit["key"] == selected,
            }
        )
    return rows


def score_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Scores as bars, the ranked and the not-ranked departments in two colours."""
    return charts.bar_chart(
        [row["label"] for row in rows],
        [
            (_l("Ranked"), [r["unit"]["score"] if r["unit"]["ranked"] else None for r in rows]),
            (
                _l("Not ranked (too few cases)"),
                [None if r["unit"]["ranked"] else r["unit"]["score"] for r in rows],
            ),
        ],
        "number",
        x_title=_l("Three-rate score (0–100)"),
        minimum=0,
        maximum=100,
        stacked=True,
    )


def three_rate_panel(filters: Filters) -> PanelContent | None:
    """Scores, ranks and intervals of the departments for the period; None when no department has cases."""
    ranking = rank_units(filters.start, filters.end, "department", source=filters.source)
    if not ranking["units"]:
        return None
    rows = unit_rows(ranking, filters.department)
    return PanelContent(
        [],
        [],
        chart=score_chart(rows),
        note=weights_note(ranking),
        extra={
            "rows": rows,
            "rate_names": [kpi_name(KPI_BY_CODE[code]) for code in RATES],
            "download_query": filters.query(),
            "interval_header": INTERVAL_HEADER,
        },
    )
