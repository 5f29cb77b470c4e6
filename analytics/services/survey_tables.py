"""Survey index, sector and ACSI model reports as CSV / XLSX tables with Chinese headers.

Index values, SEs, CIs, effective n and design effects show two decimals, counts as integers, rates as
percentages (analytics.services.tables number formats); coefficients and p-values keep full precision.
"""

from __future__ import annotations

from typing import Any

from analytics.services.survey_indices import GROUP_BY
from analytics.services.tables import Table

DECIMAL = "days"  # tables.NUMBER_FORMATS["days"] is "0.00": two decimals, which index values want too
KIND_ZH = {"construct": "构念", "indicator": "指标代码"}
STATUS_ZH = {"met": "达标", "not_met": "未达标", "indistinguishable": "与目标无显著差异"}
MODEL_TABLES = ("paths", "constructs", "loadings", "ipa")


def _estimate_cells(row: dict[str, Any]) -> list[Any]:
    return [row["estimate"], row["se"], row["ci_low"], row["ci_high"], row["n"], row["effective_n"]]


def index_table(report: dict[str, Any]) -> Table:
    """One row per group x construct / indicator code."""
    rows = []
    for group in report["groups"]:
        rate = group["response_rate"]
        for row in group["indices"]:
            target = row.get("target")
            rows.append(
                [
                    group["key"],
                    KIND_ZH[row["kind"]],
                    row["code"],
                    row["name_zh"],
                    *_estimate_cells(row),
                    row["deff"],
                    rate["value"],
                    None if target is None else f"{target['op']} {target['value']:g}",
                    None if target is None else STATUS_ZH[target["status"]],
                    row["reason"] or (None if rate["value"] is not None else f"应答率：{rate['reason']}"),
                ]
            )
    columns = [
        GROUP_BY[report["group_by"]],
        "类型",
        "代码",
        "名称",
        "指数（0–100）",
        "标准误",
        "95%置信下限",
        "95%置信上限",
        "样本量",
        "有效样本量（Kish）",
        "设计效应",
        "应答率",
        "目标",
        "目标状态",
        "说明",
    ]
    formats = {4: DECIMAL, 5: DECIMAL, 6: DECIMAL, 7: DECIMAL, 8: "int", 9: DECIMAL, 10: DECIMAL, 11: "rate"}
    return Table("满意度指数", columns, rows, formats)


def sector_table(report: dict[str, Any]) -> Table:
    """The pooled index per construct, then each survey's contribution."""
    rows = []
    for row in report["indices"]:
        rows.append(["（合并）", row["code"], row["name_zh"], *_estimate_cells(row), row["reason"]])
        for part in row["surveys"]:
            rows.append(
                [
                    part["survey"],
                    row["code"],
                    row["name_zh"],
                    part["estimate"],
                    part["se"],
                    None,
                    None,
                    part["n"],
                ]
                + [part["effective_n"], None]
            )
    columns = ["问卷", "构念代码", "构念", "指数（0–100）", "标准误", "95%置信下限", "95%置信上限", "样本量"]
    columns += ["有效样本量（Kish）", "说明"]
    formats = {3: DECIMAL, 4: DECIMAL, 5: DECIMAL, 6: DECIMAL, 7: "int", 8: DECIMAL}
    return Table(f"{report['sector_zh']}满意度", columns, rows, formats)


def model_table(report: dict[str, Any], which: str) -> Table:
    """One table of the ACSI model report: paths, constructs, loadings or ipa."""
    if report["status"] != "ok":
        return Table(
            "模型",
            ["状态", "样本量", "最低样本量", "说明"],
            [[report["status"], report["n"], report["min_n"], report["message"]]],
            {1: "int", 2: "int"},
        )
    if which == "paths":
        rows = [
            [p["from"], p["to"], p["coefficient"], p["se"], p["ci_low"], p["ci_high"], p["p_value"]]
            for p in report["paths"]
        ]
        columns = ["路径起点", "路径终点", "路径系数", "自助法标准误", "95%置信下限", "95%置信上限", "p值"]
        return Table("路径系数", columns, rows, {})
    if which == "constructs":
        rows = [
            [
                c["code"],
                c["name_zh"],
                "、".join(c["items"]),
                c["index"],
                c["index_ci_low"],
                c["index_ci_high"],
            ]
            + [c["r2"], c["alpha"], c["composite_reliability"], c["ave"]]
            for c in report["constructs"]
        ]
        columns = ["构念代码", "构念", "题目", "指数（0–100）", "指数95%下限", "指数95%上限", "R²", "α系数"]
        columns += ["组合信度CR", "平均提取方差AVE"]
        return Table("构念", columns, rows, {3: DECIMAL, 4: DECIMAL, 5: DECIMAL})
    if which == "loadings":
        rows = [
            [
                item["item"],
                item["construct"],
                item["loading"],
                item["weight"],
                item["se"],
                item["ci_low"],
                item["ci_high"],
            ]
            for item in report["loadings"]
        ]
        columns = ["题目", "构念", "载荷", "外部权重", "自助法标准误", "95%置信下限", "95%置信上限"]
        return Table("载荷", columns, rows, {})
    rows = [
        [p["code"], p["name_zh"], p["importance"], p["performance"], p["quadrant_zh"]]
        for p in report["ipa"]["points"]
    ]
    columns = ["构念代码", "构念", "重要性（对满意度的总效应）", "表现（指数）", "象限"]
    return Table("重要性-表现分析", columns, rows, {3: DECIMAL})
