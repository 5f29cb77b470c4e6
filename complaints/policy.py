"""Default deadline/rating rules and the deadline arithmetic a policy version implies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.errors import InvalidInput
from core.workdays import WorkCalendar

# DESIGN.md section 3; working days (WD) unless the key says hours.
DEFAULT_RULES: dict[str, Any] = {
    "acceptance_wd": 7,  # SAMR Order 20 art. 14
    "sign_wd": 1,
    # First contact with the citizen (响应), counted from assignment: sign-for day plus one.
    "contact_wd": 2,
    "return_wd": 2,
    "handling_wd": {"complaint": 45, "report": 15, "inquiry": 3, "help": 5, "suggestion": 5, "praise": 5},
    "urgent_acceptance_hours": 2,
    "urgent_sign_hours": 2,
    "urgent_contact_hours": 4,
    "urgent_handling_hours": 24,
    "extension_max_wd": {"report": 15, "default": 10},
    "feedback_wd": 2,
    "callback_delay_hours": 24,
    "rectification_wd": 15,
    "reopen_on_bad_rating": True,
    "satisfied_ratings": [4, 5],
}

_INT_KEYS = (
    "acceptance_wd",
    "sign_wd",
    "contact_wd",
    "return_wd",
    "urgent_acceptance_hours",
    "urgent_sign_hours",
    "urgent_contact_hours",
    "urgent_handling_hours",
    "feedback_wd",
    "callback_delay_hours",
    "rectification_wd",
)


def merge_rules(changes: dict[str, Any]) -> dict[str, Any]:
    """Defaults overlaid with `changes`, validated so a bad policy never reaches a deadline."""
    rules = {**DEFAULT_RULES, **changes}
    rules["handling_wd"] = {**DEFAULT_RULES["handling_wd"], **changes.get("handling_wd", {})}
    rules["extension_max_wd"] = {**DEFAULT_RULES["extension_max_wd"], **changes.get("extension_max_wd", {})}
    unknown = set(changes) - set(DEFAULT_RULES)
    if unknown:
        raise InvalidInput("rules", f"unknown keys: {', '.join(sorted(unknown))}")
    for key in _INT_KEYS:
        if not isinstance(rules[key], int) or isinstance(rules[key], bool) or not 1 <= rules[key] <= 365:
            raise InvalidInput(f"rules.{key}", "must be a whole number from 1 to 365")
    for group in ("handling_wd", "extension_max_wd"):
        for kind, days in rules[group].items():
            if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 365:
                raise InvalidInput(f"rules.{group}.{kind}", "must be a whole number from 1 to 365")
    ratings = rules["satisfied_ratings"]
    if not isinstance(ratings, list) or not ratings or not all(r in (3, 4, 5) for r in ratings):
        raise InvalidInput("rules.satisfied_ratings", "must list ratings among 3, 4 and 5")
    if not isinstance(rules["reopen_on_bad_rating"], bool):
        raise InvalidInput("rules.reopen_on_bad_rating", "must be true or false")
    return rules


@dataclass(frozen=True)
class DeadlineRules:
    """Deadline arithmetic for one policy version on one calendar."""

    rules: dict[str, Any]
    calendar: WorkCalendar

    def _due(self, start: datetime, urgent: bool, wd: int, hours_key: str) -> datetime:
        if urgent:
            return start + timedelta(hours=self.rules[hours_key])
        return self.calendar.add_workdays(start, wd)

    def acceptance_due(self, received: datetime, urgent: bool) -> datetime:
        """Decision (accept/reject/transfer) deadline."""
        return self._due(received, urgent, self.rules["acceptance_wd"], "urgent_acceptance_hours")

    def handling_due(self, accepted: datetime, kind: str, urgent: bool) -> datetime:
        """Reply deadline, counted from acceptance."""
        return self._due(accepted, urgent, self.rules["handling_wd"][kind], "urgent_handling_hours")

    def sign_due(self, assigned: datetime, urgent: bool) -> datetime:
        """Sign-for deadline after assignment."""
        return self._due(assigned, urgent, self.rules["sign_wd"], "urgent_sign_hours")

    def contact_due(self, assigned: datetime, urgent: bool) -> datetime:
        """First-contact (响应) deadline after assignment; policies older than the rule use the default."""
        rules = {**DEFAULT_RULES, **self.rules}
        if urgent:
            return assigned + timedelta(hours=rules["urgent_contact_hours"])
        return self.calendar.add_workdays(assigned, rules["contact_wd"])

    def handling_workdays(self, accepted: datetime | None, replied: datetime) -> int:
        """Working days from acceptance to reply (the KPI's average handling time)."""
        return 0 if accepted is None else self.calendar.workdays_between(accepted, replied)

    def return_until(self, assigned: datetime) -> datetime:
        """Last moment a department may return (退单) an assignment."""
        return self.calendar.add_workdays(assigned, self.rules["return_wd"])

    def feedback_due(self, at: datetime) -> datetime:
        """Deadline to tell the citizen after a reply, rejection or transfer."""
        return self.calendar.add_workdays(at, self.rules["feedback_wd"])

    def rectification_due(self, at: datetime) -> datetime:
        """Deadline to report back on a dissatisfied rating (also the reopened case's handling deadline)."""
        return self.calendar.add_workdays(at, self.rules["rectification_wd"])

    def max_extension(self, kind: str) -> int:
        """Longest extension one request may ask for, in working days."""
        limits = self.rules["extension_max_wd"]
        return limits.get(kind, limits["default"])
