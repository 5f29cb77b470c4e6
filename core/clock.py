"""The service's notion of "now": real time, or a pinned moment for demo data and deadline tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_pinned: ContextVar[datetime | None] = ContextVar("pinned_now", default=None)


def utcnow() -> datetime:
    """The current time as an aware UTC datetime (or the pinned moment inside travel_to)."""
    return _pinned.get() or datetime.now(UTC)


@contextmanager
def travel_to(moment: datetime) -> Iterator[None]:
    """Pin utcnow() to `moment` inside the block (used to backdate demo cases and in tests)."""
    if moment.tzinfo is None:
        raise ValueError("travel_to needs an aware datetime")
    token = _pinned.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _pinned.reset(token)
