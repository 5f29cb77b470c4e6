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
from analytics.services.ledger import BREACHES, Breach
from surveys.services.exporting import write_csv

RULE_LABELS = {"acceptance": "受理", "handling": "办理", "feedback": "反馈"}
NUMBER_FORMATS = {
    "rate": "0.00%",
    "days": "0.00",
    "yuan": "#,##0.00",
    "int": "0",
    "datetime": "yyyy-mm-dd hh:mm:ss",
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


def kpi_table(group_by: str, groups: list[dict[str, Any]]) -> Table:
    """One row per group x KPI (long format keeps every KPI's own denominator next to its value)."""
    rows = []
    for group in groups:
        for code, number in group["kpis"].items():
            kpi = KPI_BY_CODE[code]
            value = number["value"]
            rows.append(
                [
                    group["key"] or "（未分派）",
                    code,
                    kpi.name_zh,
                    number["n"],
                    None if value is None else float(value),
                    kpi.formula,
                ]
            )
    units = [KPI_BY_CODE[row[1]].unit for row in rows]
    return Table(
        "指标",
        [GROUP_BY[group_by], "指标代码", "指标", "分母（件）", "值", "计算方法"],
        rows,
        {3: "int", 4: units},
    )


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
