"""QualityLine states in GeoReport v2 terms: open/closed, the detailed state in status_notes, and the
mySociety extended status set used by servicerequestupdates (see docs/open311.md for the table).

Open311 "closed" means the agency's work on the request has ended: replied, not accepted, transferred,
merged or closed. The citizen feedback step that still follows a reply is internal to QualityLine.
"""

from __future__ import annotations

from complaints.states import REJECTION_REASONS, Status

CLOSED_STATES = frozenset({Status.REPLIED, Status.REJECTED, Status.TRANSFERRED, Status.MERGED, Status.CLOSED})
STILL_OPEN_STATES = frozenset(Status) - CLOSED_STATES
# The statuses mySociety's FixMyStreet understands on updates (lower case; clients send either case).
EXTENDED_STATUSES = (
    "open",
    "investigating",
    "action_scheduled",
    "in_progress",
    "fixed",
    "no_further_action",
    "not_councils_responsibility",
    "duplicate",
    "internal_referral",
    "closed",
)
# Extended statuses by which a client says the problem is over.
CLOSING_STATUSES = frozenset(
    {"fixed", "closed", "no_further_action", "not_councils_responsibility", "duplicate", "internal_referral"}
)

STATE_LABELS = {
    Status.REGISTERED: "已登记，待受理",
    Status.ACCEPTED: "已受理，待派单",
    Status.ASSIGNED: "已派单，待签收",
    Status.IN_PROGRESS: "办理中",
    Status.REPLIED: "已答复",
    Status.CLOSED: "已办结",
    Status.REJECTED: "不予受理",
    Status.TRANSFERRED: "已转办",
    Status.MERGED: "重复件，已合并",
}
OUTCOME_LABELS = {
    "resolved": "已解决",
    "partly_resolved": "部分解决",
    "unresolved": "未解决",
    "not_substantiated": "诉求不成立",
}
_OUTCOME_STATUS = {
    "resolved": "fixed",
    "partly_resolved": "fixed",
    "unresolved": "no_further_action",
    "not_substantiated": "no_further_action",
}
_PLAIN = {
    Status.REGISTERED: "open",
    Status.ACCEPTED: "investigating",
    Status.ASSIGNED: "action_scheduled",
    Status.IN_PROGRESS: "in_progress",
    Status.TRANSFERRED: "not_councils_responsibility",
    Status.MERGED: "duplicate",
}


def standard_status(state: str) -> str:
    """open or closed, the two GeoReport v2 statuses."""
    return "closed" if Status(state) in CLOSED_STATES else "open"


def _rejection_status(code: int | None) -> str:
    # Reason 1 is "not this authority's remit": FixMyStreet's not-the-council's-responsibility.
    return "not_councils_responsibility" if code == 1 else "no_further_action"


def extended_status(
    state: str, outcome: str | None = None, rejection_code: int | None = None, transferred: bool = False
) -> str:
    """The mySociety extended status of a case in `state` (outcome etc. tell closed cases apart)."""
    status = Status(state)
    if status in _PLAIN:
        return _PLAIN[status]
    if status is Status.REJECTED:
        return _rejection_status(rejection_code)
    if outcome is not None:
        return _OUTCOME_STATUS.get(outcome, "closed")
    if status is Status.CLOSED and rejection_code is not None:
        return _rejection_status(rejection_code)
    if status is Status.CLOSED and transferred:
        return "not_councils_responsibility"
    return "closed"


def status_notes(
    state: str,
    outcome: str | None = None,
    rejection_code: int | None = None,
    transferred_to: str | None = None,
    duplicate_of: str | None = None,
) -> str:
    """The detailed state as generated text (no free text a person typed about the citizen)."""
    status = Status(state)
    parts = [f"{STATE_LABELS[status]}（{status.value}）"]
    if outcome and status in (Status.REPLIED, Status.CLOSED):
        parts.append(f"办理结果：{OUTCOME_LABELS.get(outcome, outcome)}（{outcome}）")
    if rejection_code and status in (Status.REJECTED, Status.CLOSED):
        parts.append(f"不予受理理由{rejection_code}：{REJECTION_REASONS.get(rejection_code, '')}")
    if transferred_to and status in (Status.TRANSFERRED, Status.CLOSED):
        parts.append(f"转至：{transferred_to}")
    if duplicate_of and status is Status.MERGED:
        parts.append(f"并入：{duplicate_of}")
    return "；".join(parts)
