"""What every analytics blueprint shares: the roles allowed in and the file download of a table."""

from __future__ import annotations

from flask import Response

from analytics.services import tables
from core.auth.roles import Role

# Analysts see aggregates only; supervisors and admins see the same analytics.
ANALYTICS_ROLES = (Role.ANALYST, Role.SUPERVISOR, Role.ADMIN)
URL_PREFIX = "/api/v1/analytics"
# What a 200 of an analytics endpoint holds, for the OpenAPI document: a JSON object, or with
# format=csv|xlsx the same table as a file.
JSON_OR_TABLE = {
    200: {
        "description": "A JSON object; with format=csv or format=xlsx the table as a file",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "text/csv": {"schema": {"type": "string"}},
            tables.MIME["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


def send_table(table: tables.Table, file_format: str, name: str) -> Response:
    """The table as a CSV or XLSX attachment called `name`.`file_format`."""
    content, mime = tables.write_table(table, file_format)
    return Response(
        content,
        mimetype=mime,
        headers={"Content-Disposition": f'attachment; filename="{name}.{file_format}"'},
    )
