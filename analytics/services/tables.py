"""KPI report and ledger as JSON bodies and as CSV / XLSX tables with Chinese headers."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from analytics.kpis import GROUP_BY, KPI_BY_CODE, KPIS
from analytics.services.drilldown import make_cursor
from analytics.services.ledger import BREACHES, Breach
from surveys.services.exporting import write_csv

RULE_LABELS = {"acceptance": "受理", "handling": "办理", "feedback": "反馈"}
NUMBER_FORMATS = {
    "rate": "0.00%",
    "days": "0.00",
    "yuan": "#,##0.00",
    "int": "0",
    "datetime": "yyyy-mm-dd hh:mm:ss",
    "date": "yyyy-mm-dd",
    "score": "0.00",
}
MIME = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass
class Table:
    """Rows for a file; `formats` maps a column index to a NUMBER_FORMATS key (per row when callable)."""

    title: str
    columns: list[str]
    rows: list[list[Any]]
    formats: dict[int, Any]


def kpi_report_body(start: date, end: date, group_by: str, groups: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON report: definitions once, then the numbers per group (money as a decimal string)."""
    for group in groups:
        loss = group["kpis"]["loss_recovered"]
        loss["value"] = str(loss["value"])
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "group_by": group_by,
        "definitions": [vars(kpi) for kpi in KPIS],
        "groups": groups,
    }


def kpi_table(group_by: str, groups: list[dict[str, Any]], periods: list[dict] | None = None) -> Table:
    """One row per [period x] group x KPI (long format keeps each KPI's denominator next to its value)."""
    series = periods if periods is not None else [{"from": None, "to": None, "groups": groups}]
    rows = []
    for period in series:
        for group in period["groups"]:
            for code, number in group["kpis"].items():
                kpi = KPI_BY_CODE[code]
                value = number["value"]
                row = [
                    group["key"] or "（未分派）",
                    code,
                    kpi.name_zh,
                    number["n"],
                    None if value is None else float(value),
                    kpi.formula,
                ]
                if periods is not None:
                    row = [period["from"], period["to"], *row]
                rows.append(row)
    shift = 0 if periods is None else 2
    units = [KPI_BY_CODE[row[1 + shift]].unit for row in rows]
    columns = [GROUP_BY[group_by], "指标代码", "指标", "分母（件）", "值", "计算方法"]
    formats: dict[int, Any] = {3 + shift: "int", 4 + shift: units}
    if periods is not None:
        columns = ["起始日", "截止日（不含）", *columns]
        formats.update({0: "date", 1: "date"})
    return Table("指标", columns, rows, formats)


def kpi_series_body(start: date, end: date, group_by: str, interval: str, periods: list[dict]) -> dict:
    """The JSON series: definitions once, then each period's report."""
    for period in periods:
        kpi_report_body(period["from"], period["to"], group_by, period["groups"])
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "group_by": group_by,
        "interval": interval,
        "definitions": [vars(kpi) for kpi in KPIS],
        "periods": [
            {"from": p["from"].isoformat(), "to": p["to"].isoformat(), "groups": p["groups"]} for p in periods
        ],
    }


DRILL_COLUMNS = {
    "tracking_code": "受理编号",
    "kind": "类型",
    "channel": "渠道",
    "hotline": "热线",
    "category_code": "类别",
    "region_code": "区域",
    "department_code": "部门",
    "status": "状态",
    "received_at": "登记时间",
    "due_at": "期限",
    "done_at": "完成时间",
    "met": "计入分子",
    "rating": "评价",
    "handling_workdays": "办理工作日",
    "loss_recovered": "挽回损失（元）",
}


def drill_body(code: str, rows: list[dict[str, Any]], limit: int) -> dict[str, Any]:
    """The JSON page of a drill-down, with the cursor of the next page."""
    items = []
    for row in rows:
        item = {name: row[name] for name in DRILL_COLUMNS}
        for name in ("received_at", "due_at", "done_at"):
            item[name] = item[name].isoformat() if item[name] else None
        item["loss_recovered"] = None if row["loss_recovered"] is None else str(row["loss_recovered"])
        items.append(item)
    last = rows[-1] if len(rows) == limit else None
    next_after = make_cursor(last["due_at"], last["id"]) if last else None
    return {"kpi": vars(KPI_BY_CODE[code]), "items": items, "next_after": next_after}


def drill_table(rows: list[dict[str, Any]]) -> Table:
    """The drill-down rows with Chinese headers."""
    data = []
    for row in rows:
        values = [row[name] for name in DRILL_COLUMNS]
        values[8:11] = [_local(v) for v in values[8:11]]
        values[11] = "是" if values[11] else "否"
        values[14] = None if values[14] is None else float(values[14])
        data.append(values)
    return Table(
        "明细", list(DRILL_COLUMNS.values()), data, {8: "datetime", 9: "datetime", 10: "datetime", 14: "yuan"}
    )


def three_rate_table(group_by: str, ranking: dict[str, Any]) -> Table:
    """One row per unit: rank, the three rates with their denominators, score and interval."""
    rows = []
    for unit in ranking["units"]:
        rows.append(
            [
                unit["rank"],
                unit["key"] or "（未分派）",
                *(
                    value
                    for code in ("response_rate", "resolution_rate", "satisfaction_rate")
                    for value in (unit[code]["value"], unit[code]["n"])
                ),
                unit["score"],
                unit["ci_low"],
                unit["ci_high"],
                unit["not_ranked_reason"] or "",
            ]
        )
    columns = [
        "排名",
        GROUP_BY[group_by],
        "响应率",
        "响应率分母",
        "解决率",
        "解决率分母",
        "满意率",
        "满意率分母",
        "三率综合得分",
        "95%下限",
        "95%上限",
        "未排名原因",
    ]
    formats = {
        2: "rate",
        3: "int",
        4: "rate",
        5: "int",
        6: "rate",
        7: "int",
        8: "score",
        9: "score",
        10: "score",
    }
    return Table("三率", columns, rows, formats)


def _local(moment: datetime | None) -> datetime | None:
    # Excel has no time zones: files show local wall-clock time.
    return (
        None
        if moment is None
        else moment.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).replace(tzinfo=None)
    )


def ledger_body(start: date, end: date, as_of: datetime, breaches: list[Breach]) -> dict[str, Any]:
    """The JSON ledger: non-personal fields of each breach."""
    items = []
    for b in breaches:
        item = vars(b).copy()
        item["due_at"] = b.due_at.isoformat()
        item["done_at"] = b.done_at.isoformat() if b.done_at else None
        items.append(item)
    return {"from": start.isoformat(), "to": end.isoformat(), "as_of": as_of.isoformat(), "items": items}


def ledger_table(breaches: list[Breach]) -> Table:
    """One row per breach, Chinese headers."""
    rows = [
        [
            b.tracking_code,
            b.kind,
            b.category_code,
            b.region_code,
            b.department_code,
            RULE_LABELS[b.rule],
            BREACHES[b.breach][1],
            _local(b.due_at),
            _local(b.done_at),
        ]
        for b in breaches
    ]
    columns = ["受理编号", "类型", "类别", "区域", "部门", "规则", "违规情形", "期限", "完成时间"]
    return Table("台账", columns, rows, {7: "datetime", 8: "datetime"})


def write_table(table: Table, file_format: str) -> tuple[bytes, str]:
    """(content, MIME type) of the table as CSV (UTF-8 with BOM) or XLSX (frozen header, number formats)."""
    if file_format == "csv":
        return write_csv(table.columns, iter(table.rows)), MIME["csv"]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table.title
    sheet.append(table.columns)
    sheet.freeze_panes = "A2"
    for index, row in enumerate(table.rows):
        sheet.append(row)
        for column, fmt in table.formats.items():
            key = fmt[index] if isinstance(fmt, list) else fmt
            sheet.cell(row=index + 2, column=column + 1).number_format = NUMBER_FORMATS[key]
    for column in range(1, len(table.columns) + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 18
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), MIME["xlsx"]
