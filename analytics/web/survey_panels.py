"""The survey panels: 0-100 construct indices with their 95 % intervals (analytics.services.survey_indices)
and the importance-performance analysis of the ACSI/CCSI model (analytics.services.acsi) for one survey.

The survey and its weighting are GET parameters of the overview (`survey`, `weighting`), chosen in the
index panel's own form, so the address keeps the view. Without them: the first published survey of
common.SURVEY_ORDER, raked to its population margins when its definition has them (unweighted otherwise),
as the indicator system weights it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from analytics.services.acsi import compute_acsi_model
from analytics.services.survey_indices import compute_survey_index
from analytics.services.survey_weighting import WeightingError, margins_of
from analytics.web import charts
from analytics.web.common import SURVEY_WEIGHTINGS, Filters, published_surveys
from analytics.web.panel_content import PanelContent
from analytics.web.quality_presenters import (
    INTERVAL_HEADER,
    QUADRANT_LABELS,
    STATUS_BADGES,
    STATUS_LABELS,
    WEIGHTING_LABELS,
    bracket,
    calibration_text,
    construct_name,
    interval_text,
    number,
    p_text,
    response_rate_text,
    survey_title,
    target_text,
)
from core.errors import InvalidInput
from surveys.models import Survey


def default_weighting(survey: Survey) -> str:
    """Raking where the survey's definition has population margins, unweighted otherwise."""
    return "raking" if margins_of(survey.published.definition) else "none"


def chosen_survey(filters: Filters) -> tuple[Survey | None, list[Survey]]:
    """(the survey the panels show, every published survey to choose from)."""
    surveys = published_surveys()
    by_slug = {s.slug: s for s in surveys}
    return by_slug.get(filters.survey or "", surveys[0] if surveys else None), surveys


def index_report(slug: str, start: date, end: date, weighting: str) -> tuple[dict[str, Any] | None, str]:
    """(the service's index report, "") or (None, why the sample cannot be weighted so)."""
    try:
        return compute_survey_index(slug, start, end, weighting=weighting), ""
    except WeightingError as exc:
        return None, _(
            "The responses cannot be weighted this way: %(reason)s", reason=exc.errors["weighting"][0]
        )


def construct_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Each construct's index row of the report (group none) with the texts a table shows."""
    indices = report["groups"][0]["indices"] if report["groups"] else []
    return [
        {
            "row": row,
            "name": construct_name(row["code"]),
            "index": number(row["estimate"]),
            "interval": interval_text(row["ci_low"], row["ci_high"]),
            "effective_n": number(row["effective_n"]),
            "deff": number(row["deff"], 2),
        }
        for row in indices
        if row["kind"] == "construct"
    ]


def target_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The indicator codes of the survey that carry a target, with the target test's status."""
    indices = report["groups"][0]["indices"] if report["groups"] else []
    return [
        {
            "row": row,
            "index": number(row["estimate"]),
            "interval": interval_text(row["ci_low"], row["ci_high"]),
            "target": target_text(
                row["target"]["value"], "higher" if row["target"]["op"] == ">=" else "lower"
            ),
            "status": STATUS_LABELS[row["target"]["status"]],
            "badge": STATUS_BADGES[row["target"]["status"]],
        }
        for row in indices
        if row["kind"] == "indicator" and row.get("target")
    ]


def index_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Each construct's index with its 95 % interval; a suppressed cell has neither."""
    cells = [row["row"] for row in rows]
    return charts.interval_chart(
        [row["name"] for row in rows],
        [c["estimate"] for c in cells],
        [c["ci_low"] for c in cells],
        [c["ci_high"] for c in cells],
        _l("Index"),
        _l("%(level)s confidence interval", level="95%"),
        maximum=100,
    )


def weighting_choices() -> list[tuple[str, Any]]:
    return [("", _l("Automatic (raked where there are margins)"))] + [
        (key, WEIGHTING_LABELS[key]) for key in SURVEY_WEIGHTINGS
    ]


def survey_index_panel(filters: Filters) -> PanelContent | None:
    """The chosen survey's construct indices for the period; None when no survey is published."""
    survey, surveys = chosen_survey(filters)
    if survey is None:
        return None
    weighting = filters.weighting or default_weighting(survey)
    report, problem = index_report(survey.slug, filters.start, filters.end, weighting)
    rows = construct_rows(report) if report else []
    group = report["groups"][0] if report and report["groups"] else None
    return PanelContent(
        [],
        [],
        chart=index_chart(rows) if any(not r["row"]["suppressed"] for r in rows) else None,
        extra={
            "survey": survey,
            "title": survey_title(survey.published.definition, survey.slug),
            "choices": [(s.slug, survey_title(s.published.definition, s.slug)) for s in surveys],
            "weightings": weighting_choices(),
            "weighting": WEIGHTING_LABELS[weighting],
            "calibration": calibration_text(report["weighting"]) if report else "",
            "report": report,
            "problem": problem,
            "rows": rows,
            "targets": target_rows(report) if report else [],
            "response_rate": response_rate_text(group["response_rate"]) if group else "—",
            "hidden": {k: v for k, v in filters.query().items() if k not in ("survey", "weighting")},
            "values": {"survey": survey.slug, "weighting": filters.weighting or ""},
            "interval_header": INTERVAL_HEADER,
        },
    )


def model_result(slug: str, start: date, end: date) -> tuple[dict[str, Any] | None, str]:
    """(the service's model result, "") when it could be fitted, else (the result or None, why not)."""
    try:
        model = compute_acsi_model(slug, start, end)
    except InvalidInput as exc:
        if "slug" in exc.errors:
            return None, _(
                "This survey does not measure the constructs of the satisfaction model (satisfaction and "
                "at least one construct leading to it), so it has no importance–performance analysis."
            )
        return None, _(
            "The model could not be estimated: %(reason)s", reason=exc.errors.get("model", [""])[0]
        )
    if model["status"] == "not_enough_data":
        return model, _(
            "Not enough data for the model: %(n)s complete responses in the period, it needs %(min)s.",
            n=model["n"],
            min=model["min_n"],
        )
    return model, ""


def ipa_rows(model: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The IPA points, paths and R² of a fitted model with the texts the tables show."""
    points = [
        {
            "point": p,
            "name": construct_name(p["code"]),
            "importance": number(p["importance"], 3),
            "performance": number(p["performance"]),
            "quadrant": QUADRANT_LABELS[p["quadrant"]],
        }
        for p in model["ipa"]["points"]
    ]
    paths = [
        {
            "path": p,
            "name": f"{construct_name(p['from'])} → {construct_name(p['to'])}",
            "coefficient": number(p["coefficient"], 3),
            "interval": bracket(p["ci_low"], p["ci_high"]),
            "p": p_text(p["p_value"]),
        }
        for p in model["paths"]
    ]
    r2 = [
        {
            "construct": c,
            "name": construct_name(c["code"]),
            "r2": number(c["r2"], 3),
            "interval": bracket(c["r2_ci_low"], c["r2_ci_high"]),
        }
        for c in model["constructs"]
        if c["r2"] is not None
    ]
    return {"points": points, "paths": paths, "r2": r2}


def ipa_chart(model: dict[str, Any]) -> dict[str, Any]:
    """Importance (total effect on satisfaction) against performance (index), quadrant lines at the means."""
    ipa = model["ipa"]
    return charts.quadrant_scatter(
        [(construct_name(p["code"]), p["importance"], p["performance"]) for p in ipa["points"]],
        ipa["importance_cut"],
        ipa["performance_cut"],
        _l("Importance: total effect on satisfaction"),
        _l("Performance: index (0–100)"),
    )


def ipa_panel(filters: Filters) -> PanelContent | None:
    """The chosen survey's IPA, paths and R² for the period, or plainly why there are none."""
    survey, _surveys = chosen_survey(filters)
    if survey is None:
        return None
    model, problem = model_result(survey.slug, filters.start, filters.end)
    fitted = model is not None and model["status"] == "ok"
    return PanelContent(
        [],
        [],
        chart=ipa_chart(model) if fitted else None,
        extra={
            "title": survey_title(survey.published.definition, survey.slug),
            "model": model,
            "problem": problem,
            "interval_header": INTERVAL_HEADER,
            **(ipa_rows(model) if fitted else {}),
        },
    )
