"""Evaluated indicators as CSV / XLSX tables with Chinese headers: one row per indicator, or per component."""

from __future__ import annotations

from typing import Any

from analytics.kpis import KPI_BY_CODE
from analytics.models import UNITS
from analytics.services.survey_tables import DECIMAL
from analytics.services.tables import Table

TABLES = ("indicators", "components")
DIRECTION_ZH = {"higher": "越高越好", "lower": "越低越好"}
WEIGHTING_ZH = {"fixed": "固定权重", "ahp": "层次分析法（AHP）", "entropy": "熵权法"}
RESULT_ZH = {
    "increase": "显著上升",
    "decrease": "显著下降",
    "no_significant_change": "无显著变化",
    "not_available": "数据不足",
}
SOURCE_ZH = {"survey_index": "问卷指数", "complaint_kpi": "投诉指标"}


def indicator_table(rows: list[dict[str, Any]]) -> Table:
    """One row per indicator: value, CI, status, change and trend."""
    body = [
        [
            r["code"],
            r["name_zh"],
            r["attribute_zh"],
            r["period"],
            UNITS[r["unit"]],
            r["target"],
            DIRECTION_ZH[r["direction"]],
            r["value"],
            r["se"],
            r["ci_low"],
            r["ci_high"],
            r["status_zh"],
            r["change"]["previous_value"],
            r["change"]["change"],
            r["change"]["p_value"],
            RESULT_ZH[r["change"]["result"]],
            r["trend"]["slope"],
            r["trend"]["p_value"],
            RESULT_ZH[r["trend"]["result"]],
            WEIGHTING_ZH[r["weighting"]["method"]],
            r["reason"],
        ]
        for r in rows
    ]
    columns = ["指标代码", "指标名称", "属性", "周期", "单位", "目标值", "方向", "当前值", "标准误"]
    columns += ["95%置信下限", "95%置信上限", "状态", "上期值", "环比变化", "变化p值", "变化检验"]
    columns += ["趋势斜率（每期）", "趋势p值", "趋势检验", "权重方法", "说明"]
    formats = {
        5: DECIMAL,
        7: DECIMAL,
        8: DECIMAL,
        9: DECIMAL,
        10: DECIMAL,
        12: DECIMAL,
        13: DECIMAL,
        16: DECIMAL,
    }
    return Table("服务质量指标", columns, body, formats)


def _component_name(component: dict[str, Any]) -> str:
    if component["source"] == "complaint_kpi":
        name = KPI_BY_CODE[component["code"]].name_zh
        return f"{component['hotline']}{name}" if component["hotline"] else name
    return f"{component['survey']}：{component['code']}"


def component_table(rows: list[dict[str, Any]]) -> Table:
    """One row per indicator component: its value in the period and the weight it got."""
    body = [
        [
            r["code"],
            r["period"],
            position + 1,
            SOURCE_ZH[c["source"]],
            _component_name(c),
            "是" if c["reverse"] else "否",
            c["weight_used"],
            c["value"],
            c["se"],
            c["ci_low"],
            c["ci_high"],
            c["n"],
            c["reason"],
        ]
        for r in rows
        for position, c in enumerate(r["components"])
    ]
    columns = ["指标代码", "周期", "序号", "来源", "分项", "反向计分", "权重", "值", "标准误", "95%置信下限"]
    columns += ["95%置信上限", "样本量/案件数", "说明"]
    formats = {6: "rate", 7: DECIMAL, 8: DECIMAL, 9: DECIMAL, 10: DECIMAL, 11: "int"}
    return Table("指标分项", columns, body, formats)
