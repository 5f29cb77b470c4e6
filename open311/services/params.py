"""Query parameters shared by the GeoReport list methods: W3C datetimes, the 90-day window, pages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.errors import InvalidInput

MAX_SPAN = timedelta(days=90)
MAX_ROWS = 1000  # "first 1000 requests returned": the default and the largest page


@dataclass(frozen=True)
class Window:
    """[start, end] of requested_datetime (or update time), at most 90 days."""

    start: datetime
    end: datetime


def parse_w3c(field: str, raw: str, tz: ZoneInfo) -> datetime:
    """A W3C-note datetime with a time zone (Z or ±hh:mm); a bare date is midnight local time."""
    text = raw.strip()
    try:
        if len(text) == 10:
            return datetime.combine(datetime.strptime(text, "%Y-%m-%d").date(), time(0), tzinfo=tz)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(field, "must be a W3C datetime such as 2010-01-01T00:00:00Z") from None
    if moment.tzinfo is None:
        raise InvalidInput(field, "must include a time zone (Z or an offset such as +08:00)")
    return moment


def parse_window(args: Mapping[str, str], now: datetime, tz: ZoneInfo) -> Window:
    """start_date/end_date; either alone spans 90 days from it, neither is the most recent 90 days."""
    start_raw, end_raw = args.get("start_date") or None, args.get("end_date") or None
    start = parse_w3c("start_date", start_raw, tz) if start_raw else None
    end = parse_w3c("end_date", end_raw, tz) if end_raw else None
    if start is None and end is None:
        end = now
    if start is None:
        start = end - MAX_SPAN
    if end is None:
        end = start + MAX_SPAN
    if end < start:
        raise InvalidInput("end_date", "is before start_date")
    if end - start > MAX_SPAN:
        raise InvalidInput("end_date", "the range may not span more than 90 days")
    return Window(start, end)


def parse_page(args: Mapping[str, str]) -> tuple[int, int]:
    """(page, page_size) of the pagination extension: 1-based, page_size 1..1000 (default 1000)."""
    values = {}
    for name, default, limit in (("page", 1, None), ("page_size", MAX_ROWS, MAX_ROWS)):
        raw = args.get(name) or None
        try:
            value = default if raw is None else int(raw)
        except ValueError:
            raise InvalidInput(name, "must be a whole number") from None
        if value < 1 or (limit is not None and value > limit):
            raise InvalidInput(name, f"must be from 1 to {limit}" if limit else "must be at least 1")
        values[name] = value
    return values["page"], values["page_size"]


def comma_list(args: Mapping[str, str], name: str) -> list[str]:
    """A comma-delimited parameter as a list of non-empty values (several occurrences are joined)."""
    raw = ",".join(args.getlist(name)) if hasattr(args, "getlist") else args.get(name) or ""
    return [part.strip() for part in raw.split(",") if part.strip()]
