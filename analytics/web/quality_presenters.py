"""How the quality panels and report chapters word their numbers: three-rate scores, indicator values with
targets, statuses, changes and trends, survey constructs, response rates and IPA quadrants, in the
visitor's language (the report renders them in Chinese).

Numbers are only formatted here, never recomputed: every value comes from the services as they return it.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from analytics.kpis import KPI_BY_CODE
from analytics.services.response_rates import NONE_SENT, NOT_KNOWN, OPEN_LINK
from analytics.services.survey_data import CONSTRUCT_NAMES
from analytics.web.presenters import is_english, kpi_name

# The level is a variable: a percent sign in a msgid reads as a format (in templates and to pybabel).
INTERVAL_HEADER = _l("%(level)s interval", level="95%")
STATUS_LABELS = {
    "met": _l("Met"),
    "not_met": _l("Not met"),
    "indistinguishable": _l("Not distinguishable from the target"),
    "no_data": _l("No data"),
}
STATUS_BADGES = {"met": "ok", "not_met": "late", "indistinguishable": "soon", "no_data": ""}
ATTRIBUTE_LABELS = {"binding": _l("Binding"), "expected": _l("Expected")}
CHANGE_LABELS = {
    "increase": _l("significant rise"),
    "decrease": _l("significant fall"),
    "no_significant_change": _l("no significant change"),
    "not_available": _l("no value to compare"),
}
TREND_LABELS = CHANGE_LABELS | {"not_available": _l("fewer than three periods with a value")}
QUADRANT_LABELS = {
    "keep_up": _l("Keep up the good work"),
    "concentrate_here": _l("Concentrate here"),
    "low_priority": _l("Low priority"),
    "possible_overkill": _l("Possible overkill"),
}
WEIGHTING_LABELS = {
    "none": _l("Unweighted"),
    "poststratify": _l("Post-stratified to the population"),
    "raking": _l("Raked to the population margins"),
}
RESPONSE_RATE_REASONS = {
    OPEN_LINK: _l("Open link: no invitations were sent, so there is no response rate."),
    NONE_SENT: _l("No invitations were sent in this period."),
    NOT_KNOWN: _l("Invitations do not record this grouping."),
}

# The services give reasons in English (the API's words); the pages and the report word the known ones.
COMPONENT_REASONS = (
    (re.compile(r"^no survey responses"), _l("no survey responses in the period")),
    (re.compile(r"^no cases in this KPI"), _l("no cases in the period")),
    (re.compile(r"^n=\d+ is below the minimum"), _l("too few respondents: the cell is suppressed")),
)


def number(value: Any, digits: int = 1) -> str:
    """A number with `digits` decimals in the visitor's notation; None is a dash."""
    if value is None:
        return "—"
    return format_decimal(float(value), "#,##0." + "0" * digits if digits else "#,##0")


def score_text(value: Any, unit: str = "index") -> str:
    """A 0-100 value: an index as 82.4, a percent indicator as 82.4%."""
    if value is None:
        return "—"
    return number(value) + ("%" if unit == "percent" else "")


def interval_text(low: Any, high: Any, unit: str = "index") -> str:
    """A 95 % interval as 80.1–84.9 (or 80.1%–84.9%)."""
    if low is None or high is None:
        return "—"
    return f"{score_text(low, unit)}–{score_text(high, unit)}"


def target_text(target: float, direction: str, unit: str = "index") -> str:
    """≥ 85 when higher is better, ≤ 5% when lower is."""
    return ("≥ " if direction == "higher" else "≤ ") + score_text(target, unit)


def bracket(low: Any, high: Any, digits: int = 3) -> str:
    """An interval of coefficients, which may be negative: [-0.057, 0.200]."""
    if low is None or high is None:
        return "—"
    return f"[{number(low, digits)}, {number(high, digits)}]"


def calibration_text(weighting: dict[str, Any]) -> str:
    """How raking ended (iterations, or that it did not converge); nothing for other weightings."""
    calibration = weighting.get("calibration")
    if weighting.get("method") != "raking" or not calibration:
        return ""
    if calibration["converged"]:
        return _("Converged after %(n)s iterations.", n=calibration["iterations"])
    return _("Did not converge: %(message)s", message=calibration["message"])


def p_text(p_value: Any) -> str:
    if p_value is None:
        return "—"
    return "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}"


def signed(value: float, digits: int = 1) -> str:
    return ("+" if value > 0 else "") + number(value, digits)


def change_text(change: dict[str, Any]) -> str:
    """The change from the previous period: +2.3 (significant rise, p = 0.012)."""
    label = CHANGE_LABELS[change["result"]]
    if change["change"] is None:
        return str(label)
    return f"{signed(change['change'])} ({label}, {p_text(change['p_value'])})"


def trend_text(trend: dict[str, Any]) -> str:
    """The WLS trend: +0.80 per period (no significant change, p = 0.210)."""
    label = TREND_LABELS[trend["result"]]
    if trend["slope"] is None:
        return str(label)
    slope = _("%(slope)s per period", slope=signed(trend["slope"], 2))
    return f"{slope} ({label}, {p_text(trend['p_value'])})"


def indicator_name(row: dict[str, Any]) -> str:
    """An indicator's name in the visitor's language (Chinese when it has no English name)."""
    return row["name_en"] if is_english() and row.get("name_en") else row["name_zh"]


def construct_name(code: str) -> str:
    """A construct of the ACSI model (or an indicator code of a survey) in the visitor's language."""
    if code not in CONSTRUCT_NAMES:
        return code
    zh, en = CONSTRUCT_NAMES[code]
    return en[:1].upper() + en[1:] if is_english() else zh


def response_rate_text(rate: dict[str, Any]) -> str:
    """A response rate as 62.5% (125 / 200), or why there is none."""
    if rate["value"] is None:
        reason = rate.get("reason")
        return str(RESPONSE_RATE_REASONS.get(reason, reason or "—"))
    return f"{number(100 * rate['value'])}% ({rate['completed']} / {rate['sent']})"


def not_ranked_text(unit: dict[str, Any], min_cases: int) -> str:
    """Why a unit of the three-rate ranking has no rank (the service states it in English)."""
    if unit["ranked"]:
        return ""
    if unit["score"] is None:
        return _("No cases behind a weighted rate.")
    return _("Fewer than %(n)s cases behind a rate.", n=min_cases)


def survey_title(definition: dict[str, Any], slug: str) -> str:
    """A survey's title in the visitor's language, its slug when it has none."""
    title = definition.get("title") or {}
    first = "en" if is_english() else "zh-CN"
    return title.get(first) or title.get("zh-CN") or title.get("en") or slug


def reason_text(reason: str | None) -> str:
    """A component's reason for having no value, worded in the visitor's language when known."""
    if not reason:
        return ""
    return next((str(text) for pattern, text in COMPONENT_REASONS if pattern.match(reason)), reason)


def component_label(component: dict[str, Any]) -> str:
    """A component of an indicator: survey and construct, or the KPI (and its hotline)."""
    if component["source"] == "survey_index":
        return f"{component['survey']}: {construct_name(component['code'])}"
    name = kpi_name(KPI_BY_CODE[component["code"]])
    return f"{name} ({component['hotline']})" if component["hotline"] else name


def indicator_reason_text(item: dict[str, Any]) -> str:
    """Why an evaluated indicator has no value: the components without one, or the weights' problem."""
    reason = item["reason"] or ""
    if reason.startswith("components "):
        missing = [c for c in item["components"] if c["value"] is None]
        return "; ".join(f"{component_label(c)}: {reason_text(c['reason'])}" for c in missing)
    if reason.startswith("entropy weights need"):
        return _("Entropy weights need two periods in which every component has a value.")
    if reason.startswith("entropy weights undefined"):
        return _("Entropy weights are undefined: a component did not vary over the periods.")
    return reason
