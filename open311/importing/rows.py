"""Checking one source row and turning it into the case it will become (no database writes).

A row with impossible or unmappable data gets one Problem per fault and no plan: it is never silently
changed. Warnings (a title cut to fit, a row changed in the source since it was imported) leave the
row importable and are reported next to the errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from complaints.services.catalogue import suggest_hotline
from open311.importing.mapping import DISPATCHED_STATES, Mapping, lookup
from open311.importing.readers import SourceRow

TITLE_MAX = 100
ADDRESS_MAX = 200
EXTERNAL_ID_MAX = 64


@dataclass(frozen=True)
class Problem:
    """One fault of one row (level "error" keeps the row out; "warning" does not)."""

    row: int
    external_id: str | None
    field: str
    message: str
    value: str | None = None
    level: str = "error"


@dataclass
class PlannedCase:
    """Everything the writer needs to insert one imported case and its history."""

    row: int
    external_id: str
    digest: str
    received_at: datetime
    closed_at: datetime | None
    state: str
    outcome: str | None
    category_code: str
    department_code: str | None
    channel: str
    region_code: str
    kind: str
    hotline: str
    title: str
    description: str
    reply: str | None
    address: str | None
    latitude: float | None
    longitude: float | None
    media_url: str | None


class RowPlanner:
    """Checks rows against one mapping; `now` bounds timestamps (nothing may happen in the future)."""

    def __init__(self, mapping: Mapping, category_names: dict[str, str], now: datetime):
        self.mapping, self.category_names, self.now = mapping, category_names, now

    def _moment(self, value: str) -> datetime:
        moment = datetime.fromisoformat(value)
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=self.mapping.timezone)

    def plan(self, row: SourceRow) -> tuple[PlannedCase | None, list[Problem]]:
        """The planned case, or None and the problems that keep the row out."""
        values, mapping = row.values, self.mapping
        external_id = values.get("external_id")
        problems: list[Problem] = []

        def fail(field: str, message: str, value: Any = None) -> None:
            problems.append(
                Problem(row.number, external_id, field, message, None if value is None else str(value))
            )

        if external_id is None:
            fail("external_id", "missing id")
        elif len(external_id) > EXTERNAL_ID_MAX:
            fail("external_id", f"longer than {EXTERNAL_ID_MAX} characters", external_id)
        received = self._timestamp("created", values.get("created"), fail, required=True)
        rule = None
        if values.get("status") is None:
            fail("status", "missing status")
        else:
            rule = lookup(mapping.statuses, values["status"])
            if rule is None:
                fail("status", "not in the mapping's statuses", values["status"])
        category_code = self._mapped(
            "category", values.get("category"), mapping.categories, fail, required=True
        )
        department_code = self._mapped("agency", values.get("agency"), mapping.agencies, fail)
        channel = self._mapped("channel", values.get("channel"), mapping.channels, fail) or "import"
        region = self._mapped("region", values.get("region"), mapping.regions, fail) or mapping.default_region
        closed = (
            self._timestamp("closed", values.get("closed"), fail)
            if rule and rule.state in ("replied", "closed")
            else None
        )
        if rule is not None and rule.state in ("replied", "closed") and values.get("closed") is None:
            fail("closed", f"status {values['status']!r} is {rule.state} but the row has no closed time")
        if received is not None and closed is not None and closed < received:
            fail("closed", "closed before it was created", values.get("closed"))
        if (
            rule is not None
            and rule.state in DISPATCHED_STATES
            and department_code is None
            and values.get("agency") is None
        ):
            fail("agency", f"state {rule.state} needs the agency that handled the case")
        latitude, longitude = self._coordinates(values, fail)
        address = values.get("address")
        if address is not None and len(address) > ADDRESS_MAX:
            fail("address", f"longer than {ADDRESS_MAX} characters", address[:50] + "…")
        if problems or rule is None or received is None or category_code is None or external_id is None:
            return None, problems
        category_name = self.category_names[category_code]
        title = values.get("title") or category_name
        description = values.get("description") or title
        if len(title) > TITLE_MAX:
            problems.append(
                Problem(
                    row.number,
                    external_id,
                    "title",
                    f"cut to {TITLE_MAX} characters; the full text is kept at the start of the description",
                    title[:50] + "…",
                    "warning",
                )
            )
            description = f"{title}\n\n{description}" if description != title else title
            title = title[: TITLE_MAX - 1] + "…"
        plan = PlannedCase(
            row=row.number,
            external_id=external_id,
            digest=row.digest,
            received_at=received,
            closed_at=closed,
            state=rule.state,
            outcome=rule.outcome,
            category_code=category_code,
            department_code=department_code,
            channel=channel,
            region_code=region,
            kind=mapping.default_kind,
            hotline=mapping.hotline or suggest_hotline(mapping.default_kind, category_code),
            title=title,
            description=description,
            reply=values.get("status_notes") if rule.state in ("replied", "closed") else None,
            address=address,
            latitude=latitude,
            longitude=longitude,
            media_url=values.get("media_url"),
        )
        return plan, problems

    def _timestamp(self, field: str, value: str | None, fail: Any, required: bool = False) -> datetime | None:
        if value is None:
            if required:
                fail(field, f"missing {field} time")
            return None
        try:
            moment = self._moment(value)
        except ValueError:
            fail(field, "not an ISO 8601 date and time", value)
            return None
        if moment > self.now:
            fail(field, "in the future", value)
            return None
        return moment

    def _mapped(
        self, field: str, value: str | None, table: dict[str, str], fail: Any, required: bool = False
    ) -> str | None:
        if value is None:
            if required:
                fail(field, f"missing {field}")
            return None
        mapped = lookup(table, value)
        if mapped is None:
            fail(field, f'not in the mapping\'s {field} table (and no "*" entry)', value)
        return mapped

    def _coordinates(self, values: dict[str, str | None], fail: Any) -> tuple[float | None, float | None]:
        raw_lat, raw_long = values.get("latitude"), values.get("longitude")
        if raw_lat is None and raw_long is None:
            return None, None
        if raw_lat is None or raw_long is None:
            fail("latitude" if raw_lat is None else "longitude", "latitude and longitude come in pairs")
            return None, None
        try:
            latitude, longitude = float(raw_lat), float(raw_long)
        except ValueError:
            fail("latitude", "not a number", f"{raw_lat},{raw_long}")
            return None, None
        if latitude == 0 and longitude == 0 and self.mapping.zero_coordinates_missing:
            return None, None  # the mapping declares 0,0 the source's "no location" marker
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            fail("latitude", "outside WGS84 range", f"{raw_lat},{raw_long}")
            return None, None
        return latitude, longitude
