"""Vocabularies and the case state machine (DESIGN.md section 3), in one table."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    COMPLAINT = "complaint"  # 投诉
    REPORT = "report"  # 举报
    INQUIRY = "inquiry"  # 咨询
    HELP = "help"  # 求助
    SUGGESTION = "suggestion"  # 意见建议
    PRAISE = "praise"  # 表扬


class Channel(StrEnum):
    WEB = "web"
    PHONE = "phone"
    WECHAT = "wechat"
    APP = "app"
    EMAIL = "email"
    LETTER = "letter"
    VISIT = "visit"
    OPEN311 = "open311"
    IMPORT = "import"


HOTLINES = ("12315", "12345", "12365", "12369")
PRIORITIES = ("normal", "urgent")


class Status(StrEnum):
    REGISTERED = "registered"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    TRANSFERRED = "transferred"
    MERGED = "merged"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    REPLIED = "replied"
    CLOSED = "closed"


OPEN_STATUSES = frozenset(
    {
        Status.REGISTERED,
        Status.ACCEPTED,
        Status.ASSIGNED,
        Status.IN_PROGRESS,
        Status.REPLIED,
        Status.REJECTED,
        Status.TRANSFERRED,
    }
)
# States that still owe the citizen a feedback before the case may close.
AWAITING_FEEDBACK = frozenset({Status.REPLIED, Status.REJECTED, Status.TRANSFERRED})


class Outcome(StrEnum):
    RESOLVED = "resolved"
    PARTLY_RESOLVED = "partly_resolved"
    UNRESOLVED = "unresolved"
    NOT_SUBSTANTIATED = "not_substantiated"


# Reasons for not accepting a case (SAMR Order 20 art. 15, condensed to six codes).
REJECTION_REASONS = {
    1: "不属于本部门职责范围",
    2: "已由人民法院、仲裁机构或其他行政机关受理或处理",
    3: "不是为生活消费需要购买、使用商品或者接受服务",
    4: "超过法定或约定的时效",
    5: "缺少投诉人姓名、联系电话或明确的被投诉人等必要信息",
    6: "法律、法规、规章规定不予受理的其他情形",
}

# Five-level rating: 5 非常满意 … 1 非常不满意.
RATING_LABELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
BAD_RATINGS = frozenset({1, 2})


@dataclass(frozen=True)
class Transition:
    """Which states an action starts from and the state it leads to (None = state kept)."""

    sources: frozenset[Status]
    target: Status | None


def _t(sources: set[Status], target: Status | None) -> Transition:
    return Transition(frozenset(sources), target)


TRANSITIONS: dict[str, Transition] = {
    "accept": _t({Status.REGISTERED}, Status.ACCEPTED),
    "reject": _t({Status.REGISTERED}, Status.REJECTED),
    "transfer": _t({Status.REGISTERED}, Status.TRANSFERRED),
    "merge": _t({Status.REGISTERED}, Status.MERGED),
    "assign": _t({Status.ACCEPTED}, Status.ASSIGNED),
    "sign": _t({Status.ASSIGNED}, Status.IN_PROGRESS),
    "return": _t({Status.ASSIGNED}, Status.ACCEPTED),
    "extend": _t({Status.IN_PROGRESS}, None),
    "approve_extension": _t({Status.IN_PROGRESS}, None),
    "urge": _t({Status.ACCEPTED, Status.ASSIGNED, Status.IN_PROGRESS}, None),
    "contact": _t({Status.IN_PROGRESS}, None),
    "reply": _t({Status.IN_PROGRESS}, Status.REPLIED),
    "feedback": _t(set(AWAITING_FEEDBACK), None),
    "close": _t(set(AWAITING_FEEDBACK), Status.CLOSED),
    "reopen": _t({Status.REPLIED, Status.CLOSED}, Status.IN_PROGRESS),
    "rate": _t({Status.REPLIED, Status.CLOSED}, None),
}
