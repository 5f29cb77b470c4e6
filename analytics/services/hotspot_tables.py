"""Hot-spot results as JSON bodies and as CSV / XLSX tables (tables.Table) with Chinese headers.

Only aggregates and public identifiers leave here: unit codes and names (category, district,
respondent business), counts, rates and test results; never a case or complainant field.
p and q values keep Excel's General format, which shows small values as 1.2E-05.
"""

from __future__ import annotations

from typing import Any

from analytics.services.hotspot_businesses import ACTIVE_MONTHS, Business
from analytics.services.hotspot_periods import HotspotPeriod, Window
from analytics.services.hotspots import DIMENSIONS, RisingUnit, UnitTest
from analytics.services.monthly_problems import WEIGHTS, MonthlyProblem
from analytics.services.tables import Table

METHOD_LABELS = {"poisson": "泊松", "negative_binomial": "负二项", None: "基线不足"}
KEY_HEADERS = {
    "category": ["类别代码", "类别"],
    "region": ["区划代码", "区域"],
    "respondent": ["被投诉方标识（信用代码或规范化名称）", "被投诉方"],
}
TEST_HEADERS = ["本期件数", "基线期望件数", "比值", "p 值", "q 值", "检验方法", "离散指数"]


def _window(window: Window) -> dict[str, Any]:
    return {
        "from": window.start.isoformat(),
        "to": window.end.isoformat(),
        "exposure_days": round(window.exposure_days, 4),
    }


def period_body(period: HotspotPeriod, with_baseline: bool = True) -> dict[str, Any]:
    """The analysed period and (for the tested reports) the baseline windows actually used."""
    body: dict[str, Any] = {
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "unit": "month" if period.monthly else "days",
        "exposure_days": round(period.target.exposure_days, 4),
    }
    if with_baseline:
        body["baseline"] = {
            "requested_periods": period.requested_baseline,
            "periods_with_data": len(period.baseline),
            "testable": period.testable,
            "windows": [_window(w) for w in period.baseline],
        }
    return body


def _test_fields(test: UnitTest) -> dict[str, Any]:
    return {
        "observed": test.observed,
        "baseline_mean": test.baseline_mean,
        "ratio": test.ratio,
        "p_value": test.p_value,
        "q_value": test.q_value,
        "method": test.method,
        "dispersion": test.dispersion,
    }


def _test_cells(test: UnitTest) -> list[Any]:
    return [
        test.observed,
        test.baseline_mean,
        test.ratio,
        test.p_value,
        test.q_value,
        METHOD_LABELS[test.method],
        test.dispersion,
    ]


def rising_body(
    period: HotspotPeriod, dimension: str, alpha: float, min_count: int, units: list[RisingUnit], limit: int
) -> dict[str, Any]:
    """The JSON report of one dimension: parameters, totals and the first `limit` units by q."""
    return {
        "period": period_body(period),
        "dimension": dimension,
        "alpha": alpha,
        "min_count": min_count,
        "units_tested": len(units),
        "flagged": sum(u.flagged for u in units),
        "items": [
            {"key": u.key, "name": u.name, **_test_fields(u.test), "flagged": u.flagged}
            for u in units[:limit]
        ],
    }


def rising_table(dimension: str, units: list[RisingUnit]) -> Table:
    """One row per unit, sorted by q."""
    rows = [[u.key, u.name, *_test_cells(u.test), "是" if u.flagged else "否"] for u in units]
    columns = [*KEY_HEADERS[dimension], *TEST_HEADERS, "突增热点"]
    return Table(f"{DIMENSIONS[dimension]}热点", columns, rows, {2: "int", 3: "days", 4: "days", 8: "days"})


def businesses_body(period: HotspotPeriod, businesses: list[Business]) -> dict[str, Any]:
    """The JSON list of the most complained-about businesses."""
    return {
        "period": period_body(period, with_baseline=False),
        "active_months_window": ACTIVE_MONTHS,
        "items": [vars(b) for b in businesses],
    }


def businesses_table(businesses: list[Business]) -> Table:
    """One row per business, most cases first."""
    rows = [
        [
            b.credit_code,
            b.name,
            b.cases,
            b.complainants,
            b.repeat_cases,
            b.repeat_rate,
            b.active_months,
            b.rated,
            b.satisfaction_rate,
        ]
        for b in businesses
    ]
    columns = [
        "统一社会信用代码",
        "被投诉方",
        "本期件数",
        "投诉人数",
        "重复投诉件数",
        "重复投诉率",
        f"近{ACTIVE_MONTHS}个月有投诉的月数",
        "已评价件数",
        "满意率",
    ]
    formats = {2: "int", 3: "int", 4: "int", 5: "rate", 6: "int", 7: "int", 8: "rate"}
    return Table("被投诉企业", columns, rows, formats)


def problems_body(
    period: HotspotPeriod, alpha: float, min_count: int, problems: list[MonthlyProblem]
) -> dict:
    """The JSON 每月一题 candidate list with the score's weights."""
    return {
        "period": period_body(period),
        "alpha": alpha,
        "min_count": min_count,
        "weights": WEIGHTS,
        "items": [
            {
                "rank": rank,
                "category_code": p.category_code,
                "category_name": p.category_name,
                "region_code": p.region_code,
                "region_name": p.region_name,
                **_test_fields(p.test),
                "flagged": p.flagged,
                "rated": p.rated,
                "dissatisfied": p.dissatisfied,
                "repeat_cases": p.repeat_cases,
                "components": p.components,
                "score": p.score,
            }
            for rank, p in enumerate(problems, start=1)
        ],
    }


def problems_table(problems: list[MonthlyProblem]) -> Table:
    """One row per candidate, best score first."""
    rows = [
        [
            rank,
            p.category_code,
            p.category_name,
            p.region_code,
            p.region_name,
            *_test_cells(p.test),
            "是" if p.flagged else "否",
            p.rated,
            p.components["dissatisfaction"],
            p.components["repeat"],
            p.score,
        ]
        for rank, p in enumerate(problems, start=1)
    ]
    columns = [
        "排名",
        *KEY_HEADERS["category"],
        *KEY_HEADERS["region"],
        *TEST_HEADERS,
        "突增热点",
        "已评价件数",
        "不满意率",
        "重复诉求率",
        "综合得分",
    ]
    formats = {
        0: "int",
        5: "int",
        6: "days",
        7: "days",
        11: "days",
        13: "int",
        14: "rate",
        15: "rate",
        16: "days",
    }
    return Table("每月一题候选", columns, rows, formats)
