"""Helpers for the analytics API tests: backdated case histories driven through the public and staff API."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from core.clock import travel_to
from tests.complaints.test_lifecycle_api import Flow

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(moment: str) -> datetime:
    """'2026-09-07 09:00' in Beijing time."""
    return datetime.fromisoformat(moment).replace(tzinfo=SHANGHAI)


class TimedFlow(Flow):
    """Flow whose every step happens at a given local moment."""

    def __init__(self, client, org, when: str, **overrides):
        with travel_to(local(when)):
            super().__init__(client, org, **overrides)

    def at(self, when: str, action: str, user: str, body: dict | None = None, expect: int = 200):
        with travel_to(local(when)):
            return self.act(action, user, body, expect)

    def rate_at(self, when: str, rating: int, resolved: bool = True):
        with travel_to(local(when)):
            response = self.rate(rating, resolved)
        assert response.status_code == 200, response.json
        return response.json
