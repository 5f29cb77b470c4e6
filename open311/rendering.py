"""GeoReport v2 documents in XML (required) and JSON (optional), one structure for both.

The spec's JSON is the Spark-convention mapping of its XML: the root element disappears, a list
element becomes an array and its children (whose tag is the list's singular) become the items. So each
response is built once as plain dicts and lists and written out either way; XML goes through the
standard library's ElementTree, which escapes markup, and characters XML 1.0 cannot carry are dropped.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from flask import Response

FORMATS = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
MIME_TYPES = ("text/xml", "application/json")
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

# list element -> the tag of its items
LIST_ITEMS = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "service_requests": "request",
    "service_requests_updates": "request_update",
    "service_request_updates": "request_update",
    "errors": "error",
}
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def w3c_datetime(moment: datetime | None, tz: ZoneInfo) -> str | None:
    """W3C-note ISO 8601 with the zone offset, to the second (e.g. 2026-11-21T09:30:00+08:00)."""
    return None if moment is None else moment.astimezone(tz).isoformat(timespec="seconds")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _XML_ILLEGAL.sub("", str(value))


def _append(parent: ET.Element, tag: str, value: Any) -> None:
    element = ET.SubElement(parent, tag)
    if isinstance(value, list):
        for item in value:
            _append(element, LIST_ITEMS[tag], item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _append(element, key, item)
    else:
        element.text = _text(value)


def to_xml(root: str, body: list[Any] | dict[str, Any]) -> str:
    """The XML text of a document whose root element is `root`."""
    element = ET.Element(root)
    if isinstance(body, list):
        for item in body:
            _append(element, LIST_ITEMS[root], item)
    else:
        for key, value in body.items():
            _append(element, key, value)
    return XML_DECLARATION + ET.tostring(element, encoding="unicode") + "\n"


def to_json(body: list[Any] | dict[str, Any]) -> str:
    """The JSON text of a document (the root element has no JSON counterpart)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def render(fmt: str, root: str, body: list[Any] | dict[str, Any], status: int = 200) -> Response:
    """A UTF-8 response in the requested format (xml or json)."""
    text = to_json(body) if fmt == "json" else to_xml(root, body)
    return Response(text.encode("utf-8"), status=status, content_type=FORMATS[fmt])


def error_body(errors: list[tuple[int, str]]) -> list[dict[str, Any]]:
    """The spec's error list: one {code, description} per problem."""
    return [{"code": code, "description": description} for code, description in errors]


def format_of_path(path: str) -> str:
    """json when the URL asks for .json, otherwise xml (the required format)."""
    return "json" if path.rstrip("/").endswith(".json") else "xml"
