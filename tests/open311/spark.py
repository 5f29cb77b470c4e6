"""XML checks for the contract tests: well-formed UTF-8 with the declaration the spec asks for, and
the same document as the JSON answer under the Spark convention (the spec's XML <-> JSON mapping)."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'
# List elements of the GeoReport v2 documents and the tag of their items (from the spec's examples).
LIST_TAGS = {
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


def parse_xml(body: bytes) -> ET.Element:
    """The root element; fails unless the body is UTF-8, declared so, and well-formed."""
    assert body.startswith(DECLARATION), body[:60]
    body.decode("utf-8")
    return ET.fromstring(body)


def xml_to_spark(element: ET.Element) -> Any:
    """Spark convention: list elements become arrays, others objects, leaves their text (None if empty)."""
    if element.tag in LIST_TAGS:
        items = list(element)
        assert all(child.tag == LIST_TAGS[element.tag] for child in items), element.tag
        return [
            xml_to_spark(child) if len(child) or child.tag in LIST_TAGS else child.text for child in items
        ]
    if len(element):
        fields = [child.tag for child in element]
        assert len(fields) == len(set(fields)), f"repeated field in {element.tag}"
        return {child.tag: xml_to_spark(child) for child in element}
    return element.text


def as_xml_text(value: Any) -> Any:
    """A JSON value as the XML would carry it: text, "true"/"false", None for null."""
    if isinstance(value, list):
        return [as_xml_text(v) for v in value]
    if isinstance(value, dict):
        return {k: as_xml_text(v) for k, v in value.items()}
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value is None else str(value)


def assert_same_document(xml_body: bytes, json_body: Any, root: str) -> None:
    """The XML answer says exactly what the JSON answer says."""
    element = parse_xml(xml_body)
    assert element.tag == root
    if isinstance(json_body, list):
        assert element.tag in LIST_TAGS
        converted = [xml_to_spark(child) for child in element]
        assert all(child.tag == LIST_TAGS[root] for child in element)
    else:
        converted = {child.tag: xml_to_spark(child) for child in element}
    assert converted == as_xml_text(json_body)
