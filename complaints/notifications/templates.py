"""Notice texts in Chinese and English (one subject and body per template), rendered with Jinja2.

Citizen notices follow the steps SAMR Order 20 and the 12345 rules require the citizen to be told of:
receipt, acceptance, non-acceptance with its reason, transfer, extension, reply, reopening, mediation
termination and the call-back (回访) invitation. Staff notices go to the in-app inbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, StrictUndefined

LOCALES = ("zh-CN", "en")

CITIZEN_TEMPLATES = (
    "receipt",
    "accepted",
    "rejected",
    "transferred",
    "extended",
    "replied",
    "reopened",
    "mediation_terminated",
    "callback_invitation",
)
STAFF_TEMPLATES = (
    "sla_urge",
    "sla_escalation",
    "rectification_overdue",
    "mediation_terminated_staff",
    "open311_update",
)

OUTCOMES = {
    "zh-CN": {
        "resolved": "已解决",
        "partly_resolved": "部分解决",
        "unresolved": "未解决",
        "not_substantiated": "诉求不成立",
    },
    "en": {
        "resolved": "resolved",
        "partly_resolved": "partly resolved",
        "unresolved": "not resolved",
        "not_substantiated": "not substantiated",
    },
}
STAGES = {
    "zh-CN": {
        "registered": "受理",
        "accepted": "派单办理",
        "assigned": "签收",
        "in_progress": "办理",
        "replied": "反馈",
        "rejected": "反馈",
        "transferred": "反馈",
    },
    "en": {
        "registered": "acceptance",
        "accepted": "dispatch and handling",
        "assigned": "sign-for",
        "in_progress": "handling",
        "replied": "feedback",
        "rejected": "feedback",
        "transferred": "feedback",
    },
}

# English for complaints.states.REJECTION_REASONS (the Chinese text travels in the notice's params).
REJECTION_REASONS_EN = {
    1: "the matter is outside this authority's remit",
    2: "a court, an arbitration body or another authority has already accepted or handled it",
    3: "the goods or service were not bought for personal consumption",
    4: "the statutory or agreed time limit has passed",
    5: "required information is missing (complainant's name, phone number or the business complained about)",
    6: "other grounds laid down by law or regulation",
}

# template -> locale -> (subject, body)
TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "receipt": {
        "zh-CN": (
            "诉求已登记 {{ tracking_code }}",
            "您的诉求已登记，编号{{ tracking_code }}。"
            "我们将在{{ acceptance_due_at|date }}前作出是否受理的决定。凭编号和查询码可在网站查询办理进度。",
        ),
        "en": (
            "Request {{ tracking_code }} registered",
            "Your request has been registered as {{ tracking_code }}. We will decide whether to accept it by "
            "{{ acceptance_due_at|date }}. Track it online with this code and your access key.",
        ),
    },
    "accepted": {
        "zh-CN": (
            "诉求已受理 {{ tracking_code }}",
            "您的诉求（编号{{ tracking_code }}）已受理，我们将在{{ handling_due_at|date }}前办结并答复您。",
        ),
        "en": (
            "Request {{ tracking_code }} accepted",
            "Your request {{ tracking_code }} has been accepted. We will handle it and reply by "
            "{{ handling_due_at|date }}.",
        ),
    },
    "rejected": {
        "zh-CN": (
            "诉求不予受理 {{ tracking_code }}",
            "您的诉求（编号{{ tracking_code }}）不予受理。原因：{{ reason_text }}"
            "{% if reason %}。说明：{{ reason }}{% endif %}。如有异议，可补充材料后重新提交。",
        ),
        "en": (
            "Request {{ tracking_code }} not accepted",
            "Your request {{ tracking_code }} cannot be accepted. Reason: {{ reason_code|rejection }}"
            "{% if reason %}. Note: {{ reason }}{% endif %}. You may submit it again with the missing "
            "information.",
        ),
    },
    "transferred": {
        "zh-CN": (
            "诉求已转办 {{ tracking_code }}",
            "您的诉求（编号{{ tracking_code }}）不属于本平台受理范围，已转交{{ to }}处理，请留意其联系。",
        ),
        "en": (
            "Request {{ tracking_code }} transferred",
            "Your request {{ tracking_code }} is outside our remit and has been passed to {{ to }}, "
            "who will contact you.",
        ),
    },
    "extended": {
        "zh-CN": (
            "办理期限延长 {{ tracking_code }}",
            "您的诉求（编号{{ tracking_code }}）经批准延长办理期限至{{ handling_due_at|date }}。",
        ),
        "en": (
            "More time for request {{ tracking_code }}",
            "The handling deadline of your request {{ tracking_code }} has been extended to "
            "{{ handling_due_at|date }}.",
        ),
    },
    "replied": {
        "zh-CN": (
            "诉求已办结 {{ tracking_code }}",
            "您的诉求（编号{{ tracking_code }}）已办结，结果：{{ outcome|outcome }}。"
            "详情请凭编号和查询码在网站查看，欢迎对办理结果进行评价。",
        ),
        "en": (
            "Reply to request {{ tracking_code }}",
            "Your request {{ tracking_code }} has been answered: {{ outcome|outcome }}. "
            "Read the reply online with your code and access key, and please rate it.",
        ),
    },
    "reopened": {
        "zh-CN": (
            "诉求重新办理 {{ tracking_code }}",
            "您的诉求（编号{{ tracking_code }}）已重新办理，我们将在{{ handling_due_at|date }}前再次答复。",
        ),
        "en": (
            "Request {{ tracking_code }} reopened",
            "Your request {{ tracking_code }} is being handled again; "
            "we will reply by {{ handling_due_at|date }}.",
        ),
    },
    "mediation_terminated": {
        "zh-CN": (
            "投诉调解终止 {{ tracking_code }}",
            "您的投诉（编号{{ tracking_code }}）在调解期限内（至{{ handling_due_at|date }}）"
            "双方未能达成调解协议，依据《市场监督管理投诉举报处理暂行办法》终止调解。"
            "您可以依法申请仲裁或者向人民法院提起诉讼。",
        ),
        "en": (
            "Mediation ended for complaint {{ tracking_code }}",
            "No mediation agreement was reached on your complaint {{ tracking_code }} within the statutory "
            "period (until {{ handling_due_at|date }}), so mediation has ended under the SAMR complaint "
            "rules. You may apply for arbitration or bring the case before a court.",
        ),
    },
    "callback_invitation": {
        "zh-CN": (
            "办理结果回访 {{ tracking_code }}",
            "您的诉求（编号{{ tracking_code }}）已办结。请花一分钟对办理结果进行评价：{{ link }}",
        ),
        "en": (
            "How did we do? {{ tracking_code }}",
            "Your request {{ tracking_code }} has been answered. Please take a minute to rate the result: "
            "{{ link }}",
        ),
    },
    "sla_urge": {
        "zh-CN": (
            "【督办】{{ tracking_code }}",
            "【督办】案件{{ tracking_code }}已超过{{ stage|stage }}期限"
            "（{{ due_at|datetime }}），请立即处理。",
        ),
        "en": (
            "[Urge] {{ tracking_code }}",
            "[Urge] Case {{ tracking_code }} is past its {{ stage|stage }} deadline ({{ due_at|datetime }}). "
            "Act on it now.",
        ),
    },
    "sla_escalation": {
        "zh-CN": (
            "【升级督办】{{ tracking_code }}",
            "【升级督办】案件{{ tracking_code }}超过{{ stage|stage }}期限（{{ due_at|datetime }}）"
            "{{ after_wd }}个工作日后仍未处理，请主管督办。",
        ),
        "en": (
            "[Escalated] {{ tracking_code }}",
            "[Escalated] Case {{ tracking_code }} is still past its {{ stage|stage }} deadline "
            "({{ due_at|datetime }}) {{ after_wd }} working days later. Supervisor action needed.",
        ),
    },
    "rectification_overdue": {
        "zh-CN": (
            "【整改超期】{{ tracking_code }}",
            "【整改超期】案件{{ tracking_code }}的不满意评价（{{ rating }}分）"
            "整改应于{{ due_at|date }}前报告，现已超期。",
        ),
        "en": (
            "[Rectification overdue] {{ tracking_code }}",
            "[Rectification overdue] The report on the dissatisfied rating ({{ rating }}) of case "
            "{{ tracking_code }} was due by {{ due_at|date }}.",
        ),
    },
    "mediation_terminated_staff": {
        "zh-CN": (
            "调解终止 {{ tracking_code }}",
            "案件{{ tracking_code }}调解期限届满（{{ handling_due_at|date }}），系统已终止调解并告知投诉人。",
        ),
        "en": (
            "Mediation ended {{ tracking_code }}",
            "The mediation period of case {{ tracking_code }} ended ({{ handling_due_at|date }}); the system "
            "closed the mediation and told the complainant.",
        ),
    },
    "open311_update": {
        "zh-CN": (
            "市民补充信息 {{ tracking_code }}",
            "案件{{ tracking_code }}收到市民经 Open311 合作方发来的补充信息，请在案件记录中查看。",
        ),
        "en": (
            "Citizen update {{ tracking_code }}",
            "Case {{ tracking_code }} received an update from the citizen through an Open311 partner; "
            "read it in the case events.",
        ),
    },
}


@dataclass(frozen=True)
class RenderedNotice:
    """A notice ready for a channel: subject (e-mail, inbox) and body (all channels)."""

    subject: str
    body: str


def _moment(value: Any, tz: ZoneInfo) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.astimezone(tz)


def _environment(locale: str, tz: ZoneInfo) -> Environment:
    env = Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)

    def date_filter(value: Any) -> str:
        day = _moment(value, tz)
        return f"{day.year}年{day.month}月{day.day}日" if locale == "zh-CN" else f"{day.day} {day:%B %Y}"

    def datetime_filter(value: Any) -> str:
        moment = _moment(value, tz)
        return f"{date_filter(moment)} {moment:%H:%M}"

    env.filters.update(
        date=date_filter,
        datetime=datetime_filter,
        outcome=lambda value: OUTCOMES[locale].get(value, value),
        stage=lambda value: STAGES[locale].get(value, value),
        rejection=lambda code: REJECTION_REASONS_EN.get(code, f"code {code}"),
    )
    return env


def render_notice(template: str, locale: str, params: dict[str, Any], tz: ZoneInfo) -> RenderedNotice:
    """Render one template in `locale` (falls back to zh-CN); KeyError for an unknown template."""
    texts = TEXTS[template]
    subject, body = texts.get(locale) or texts["zh-CN"]
    env = _environment(locale if locale in texts else "zh-CN", tz)
    return RenderedNotice(env.from_string(subject).render(**params), env.from_string(body).render(**params))
