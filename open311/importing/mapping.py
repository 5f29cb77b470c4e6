"""The mapping file of an import (TOML or JSON): which source column is which field, and how the
source's categories, agencies, statuses, channels and regions translate into QualityLine's.

Lookups are exact (after trimming); a "*" entry catches every value the table does not list; a value
neither listed nor caught is an error of its row. docs/open311.md has the full format and an example.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import Schema, ValidationError, fields, pre_load, validate
from sqlalchemy import select

from complaints.models import Category, Policy
from complaints.states import HOTLINES, Channel, Kind, Outcome
from core.auth.models import Department
from core.db import db
from core.errors import flatten_errors
from core.regions import Region

CATCH_ALL = "*"
FIELDS = (
    "external_id",
    "created",
    "closed",
    "status",
    "status_notes",
    "category",
    "agency",
    "channel",
    "region",
    "address",
    "latitude",
    "longitude",
    "title",
    "description",
    "media_url",
)
REQUIRED_FIELDS = ("external_id", "created", "status", "category")
# GeoReport v2 request fields: the columns of --format open311 unless the mapping says otherwise.
OPEN311_COLUMNS = {
    "external_id": "service_request_id",
    "created": "requested_datetime",
    "closed": "updated_datetime",
    "status": "status",
    "status_notes": "status_notes",
    "category": "service_code",
    "agency": "agency_responsible",
    "address": "address",
    "latitude": "lat",
    "longitude": "long",
    "title": "service_name",
    "description": "description",
    "media_url": "media_url",
}
# States an imported case may land in (rejected/transferred/merged history has no source equivalent).
IMPORT_STATES = ("registered", "accepted", "assigned", "in_progress", "replied", "closed")
# Open states a department holds: an imported case in one of them needs the agency to hand it to.
DISPATCHED_STATES = ("assigned", "in_progress")


class MappingError(Exception):
    """The mapping file cannot be used; `problems` says why (nothing is read or written)."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


class _StatusRule(Schema):
    state = fields.String(required=True, validate=validate.OneOf(IMPORT_STATES))
    outcome = fields.String(load_default=None, validate=validate.OneOf([o.value for o in Outcome]))

    @pre_load
    def _shorthand(self, data: Any, **kwargs: Any) -> Any:
        return {"state": data} if isinstance(data, str) else data


class _Defaults(Schema):
    kind = fields.String(load_default=Kind.HELP.value, validate=validate.OneOf([k.value for k in Kind]))
    region = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$"))
    hotline = fields.String(load_default=None, validate=validate.OneOf(HOTLINES))
    zero_coordinates_mean_missing = fields.Boolean(load_default=False)


_CODE = fields.String(validate=validate.Length(min=1, max=64))


class _MappingSchema(Schema):
    source = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.-]{1,64}$"))
    timezone = fields.String(load_default="UTC")
    defaults = fields.Nested(_Defaults, required=True)
    columns = fields.Dict(
        keys=fields.String(validate=validate.OneOf(FIELDS)), values=fields.String(), load_default=dict
    )
    categories = fields.Dict(keys=fields.String(), values=_CODE, required=True)
    agencies = fields.Dict(keys=fields.String(), values=_CODE, load_default=dict)
    statuses = fields.Dict(keys=fields.String(), values=fields.Nested(_StatusRule), required=True)
    channels = fields.Dict(
        keys=fields.String(),
        values=fields.String(validate=validate.OneOf([c.value for c in Channel])),
        load_default=dict,
    )
    regions = fields.Dict(
        keys=fields.String(), values=fields.String(validate=validate.Regexp(r"^\d{6}$")), load_default=dict
    )


@dataclass(frozen=True)
class StatusRule:
    """The state (and optional outcome) a source status lands in."""

    state: str
    outcome: str | None


@dataclass(frozen=True)
class Mapping:
    """A checked mapping file."""

    source: str
    timezone: ZoneInfo
    columns: dict[str, str]
    categories: dict[str, str]
    agencies: dict[str, str]
    statuses: dict[str, StatusRule]
    channels: dict[str, str]
    regions: dict[str, str]
    default_kind: str
    default_region: str
    hotline: str | None
    zero_coordinates_missing: bool
    document: dict[str, Any]


def lookup(table: dict[str, Any], value: str) -> Any | None:
    """The entry for `value`, else the catch-all entry, else None."""
    return table.get(value.strip(), table.get(CATCH_ALL))


def _read(path: Path) -> dict[str, Any]:
    try:
        if path.suffix.lower() == ".toml":
            return tomllib.loads(path.read_text(encoding="utf-8"))
        return json.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise MappingError([f"{path.name}: not valid {path.suffix.lstrip('.') or 'JSON'}: {error}"]) from None


def load_mapping(path: Path, file_format: str) -> Mapping:
    """Read and check a mapping file (structure only; check_against_catalogue does the codes)."""
    document = _read(path)
    try:
        data = _MappingSchema().load(document)
    except ValidationError as error:
        raise MappingError(
            [f"{field}: {msg}" for field, msgs in flatten_errors(error.messages).items() for msg in msgs]
        ) from None
    try:
        tz = ZoneInfo(data["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        raise MappingError([f"timezone: unknown time zone {data['timezone']!r}"]) from None
    columns = {**(OPEN311_COLUMNS if file_format == "open311" else {}), **data["columns"]}
    missing = [name for name in REQUIRED_FIELDS if name not in columns]
    if missing:
        raise MappingError([f"columns: say which column holds {', '.join(missing)}"])
    defaults = data["defaults"]
    return Mapping(
        source=data["source"],
        timezone=tz,
        columns=columns,
        categories=data["categories"],
        agencies=data["agencies"],
        statuses={k: StatusRule(v["state"], v["outcome"]) for k, v in data["statuses"].items()},
        channels=data["channels"],
        regions=data["regions"],
        default_kind=defaults["kind"],
        default_region=defaults["region"],
        hotline=defaults["hotline"],
        zero_coordinates_missing=defaults["zero_coordinates_mean_missing"],
        document=document,
    )


def check_against_catalogue(mapping: Mapping) -> dict[str, int]:
    """Every code the mapping names must exist; returns department code -> id."""
    problems = []
    categories = set(db.session.scalars(select(Category.code).where(Category.is_active)))
    for name, code in mapping.categories.items():
        if code not in categories:
            problems.append(f"categories.{name}: {code} is not an active category of the catalogue")
    departments = dict(db.session.execute(select(Department.code, Department.id)).all())
    for name, code in mapping.agencies.items():
        if code not in departments:
            problems.append(f"agencies.{name}: no department with code {code}")
    regions = set(db.session.scalars(select(Region.code)))
    for name, code in [("defaults.region", mapping.default_region)] + [
        (f"regions.{k}", v) for k, v in mapping.regions.items()
    ]:
        if code not in regions:
            problems.append(f"{name}: {code} is not a region of the catalogue")
    if db.session.scalar(select(Policy.version).limit(1)) is None:
        problems.append("no deadline policy in the database: run `flask seed` first")
    if problems:
        raise MappingError(problems)
    return departments
