"""The complaint KPIs of DESIGN.md section 3, defined in one place: code -> names, numerator, denominator.

Every KPI's population is the cases *due* in the period [from, to) (local days): the cases whose deadline
for that step falls in the period. Ratings have no deadline, so the rating KPIs count ratings given in
the period. A rate whose denominator is 0 is None.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KpiDefinition:
    """One KPI: its names, what it counts and how (the formula text shown in exports)."""

    code: str
    name_zh: str
    name_en: str
    numerator: str
    denominator: str
    formula: str
    unit: str = "rate"  # rate (0..1), days (mean working days) or yuan (a sum)
    # The 100 % rules (100 %受理、100 %办理、100 %反馈) are the only targets the plans fix for complaints;
    # composite targets (e.g. satisfaction >= 85) belong to the admin-defined indicator system.
    target: float | None = None


KPIS: tuple[KpiDefinition, ...] = (
    KpiDefinition(
        "acceptance_rate",
        "受理率",
        "acceptance rate",
        "decided (accepted, rejected, transferred or merged)",
        "cases whose acceptance deadline is in the period",
        "decided / due for decision",
        target=1.0,
    ),
    KpiDefinition(
        "acceptance_on_time_rate",
        "按时受理率",
        "on-time acceptance rate",
        "decided at or before the acceptance deadline",
        "cases whose acceptance deadline is in the period",
        "decided on time / due for decision",
    ),
    KpiDefinition(
        "sign_rate",
        "签收率",
        "sign-for rate",
        "signed for by the department",
        "cases whose sign-for deadline is in the period",
        "signed / due for sign-for",
    ),
    KpiDefinition(
        "sign_on_time_rate",
        "按时签收率",
        "on-time sign-for rate",
        "signed for at or before the sign-for deadline",
        "cases whose sign-for deadline is in the period",
        "signed on time / due for sign-for",
    ),
    KpiDefinition(
        "response_rate",
        "响应率",
        "response rate",
        "first contact with the citizen (contact action, or the reply) by the contact deadline",
        "cases whose contact deadline (set at assignment) is in the period",
        "contacted on time / due for contact",
    ),
    KpiDefinition(
        "completion_rate",
        "办结率",
        "completion rate",
        "replied",
        "accepted cases whose handling deadline (after extensions and reopening) is in the period",
        "replied / due for reply",
        target=1.0,
    ),
    KpiDefinition(
        "completion_on_time_rate",
        "按时办结率",
        "on-time completion rate",
        "replied at or before the handling deadline in force",
        "accepted cases whose handling deadline is in the period",
        "replied on time / due for reply",
    ),
    KpiDefinition(
        "feedback_rate",
        "反馈率",
        "feedback rate",
        "feedback to the citizen recorded",
        "replied, rejected or transferred cases whose feedback deadline is in the period",
        "fed back / due for feedback",
        target=1.0,
    ),
    KpiDefinition(
        "callback_rate",
        "回访率",
        "call-back rate",
        "replied cases whose citizen gave a rating (call-back survey or tracking page)",
        "replied cases whose feedback deadline is in the period",
        "rated / replied and due for feedback",
    ),
    KpiDefinition(
        "satisfaction_rate",
        "满意率",
        "satisfaction rate",
        "ratings among the case policy's satisfied_ratings",
        "cases rated in the period",
        "satisfied / rated",
    ),
    KpiDefinition(
        "resolution_rate",
        "解决率",
        "resolution rate",
        "ratings saying resolved",
        "cases rated in the period",
        "resolved / rated",
    ),
    KpiDefinition(
        "first_time_rate",
        "一次办结率",
        "first-time completion rate",
        "replied with no return, no reopening and no approved extension",
        "replied cases whose handling deadline is in the period",
        "replied first time / replied",
    ),
    KpiDefinition(
        "duplicate_rate",
        "重复诉求率",
        "duplicate rate",
        "merged into another case",
        "cases whose acceptance deadline is in the period",
        "merged / due for decision",
    ),
    KpiDefinition(
        "avg_handling_workdays",
        "平均办理时长（工作日）",
        "average handling time (working days)",
        "working days from acceptance to reply, summed",
        "replied cases whose handling deadline is in the period",
        "mean of workdays_between(accepted_at, replied_at)",
        unit="days",
    ),
    KpiDefinition(
        "loss_recovered",
        "挽回经济损失（元）",
        "loss recovered (yuan)",
        "loss recovered stated in the replies",
        "replied cases whose handling deadline is in the period",
        "sum of loss_recovered",
        unit="yuan",
    ),
)

KPI_BY_CODE = {kpi.code: kpi for kpi in KPIS}

# group_by values of the API and their Chinese column headers.
GROUP_BY = {
    "none": "全部",
    "department": "部门",
    "region": "区域",
    "category": "类别",
    "channel": "渠道",
    "hotline": "热线",
    "kind": "类型",
}
