"""Source files as rows of the mapping's fields: CSV exports (optionally .gz) and GeoReport v2
documents (requests.json or requests.xml as a GeoReport server returns them)."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree as ET

FORMATS = ("open311", "csv")


class ImportFileError(Exception):
    """The file cannot be read as the given format (nothing is imported)."""


@dataclass(frozen=True)
class SourceRow:
    """One source record: its place in the file, the mapped fields (None when empty), its digest."""

    number: int
    values: dict[str, str | None]
    digest: str


def _open_text(path: Path) -> IO[str]:
    # utf-8-sig: spreadsheet exports often start with a byte-order mark.
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return path.open(encoding="utf-8-sig", newline="")


def _digest(record: Any) -> str:
    return hashlib.sha256(json.dumps(record, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _pick(record: dict[str, Any], columns: dict[str, str]) -> dict[str, str | None]:
    return {name: _clean(record.get(column)) for name, column in columns.items()}


def read_csv(path: Path, columns: dict[str, str]) -> list[SourceRow]:
    """CSV rows; `number` is the spreadsheet row (the header is row 1)."""
    try:
        with _open_text(path) as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise ImportFileError(f"{path.name}: the file is empty")
            missing = sorted(set(columns.values()) - set(header))
            if missing:
                raise ImportFileError(f"{path.name}: no column named {', '.join(missing)} in the header")
            index = {column: header.index(column) for column in columns.values()}
            rows = []
            picks = [(name, index[column]) for name, column in columns.items()]
            for number, record in enumerate(reader, start=2):
                width = len(record)
                values = {name: (record[i].strip() or None) if i < width else None for name, i in picks}
                # The digest covers the whole record, so a change in any column is noticed on a re-run.
                digest = hashlib.sha256("\x1f".join(record).encode()).hexdigest()
                rows.append(SourceRow(number, values, digest))
            return rows
    except (UnicodeDecodeError, csv.Error, OSError, EOFError) as error:
        raise ImportFileError(f"{path.name}: cannot read as UTF-8 CSV: {error}") from None


def _open311_records(path: Path) -> list[dict[str, Any]]:
    with _open_text(path) as handle:
        text = handle.read()
    if text.lstrip().startswith("<"):
        root = ET.fromstring(text)
        if root.tag != "service_requests":
            raise ImportFileError(f"{path.name}: the XML root must be service_requests, not {root.tag}")
        return [{child.tag: child.text for child in request} for request in root.findall("request")]
    document = json.loads(text)
    if isinstance(document, dict):
        document = document.get("service_requests", document.get("requests"))
    if not isinstance(document, list) or not all(isinstance(r, dict) for r in document):
        raise ImportFileError(f"{path.name}: expected a JSON list of service requests")
    return document


def read_open311(path: Path, columns: dict[str, str]) -> list[SourceRow]:
    """GeoReport v2 service requests (JSON list or XML service_requests); `number` counts from 1."""
    try:
        records = _open311_records(path)
    except (UnicodeDecodeError, json.JSONDecodeError, ET.ParseError, OSError, EOFError) as error:
        raise ImportFileError(f"{path.name}: cannot read as a GeoReport v2 document: {error}") from None
    return [
        SourceRow(number, _pick(record, columns), _digest(record)) for number, record in enumerate(records, 1)
    ]


def read_source(path: Path, file_format: str, columns: dict[str, str]) -> list[SourceRow]:
    """All rows of the file, read the way its format says."""
    if file_format not in FORMATS:
        raise ImportFileError(f"unknown format {file_format!r}; use {' or '.join(FORMATS)}")
    return read_csv(path, columns) if file_format == "csv" else read_open311(path, columns)
