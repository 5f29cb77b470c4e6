"""Demo data: Fuzhou departments, routing, staff and a few hundred cases walked through real services.

Cases are registered and moved with the same service functions the API uses, at backdated moments
(core.clock.travel_to), so timestamps, deadlines, audit chains and outbox rows are all genuine.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from complaints.services import actions, intake, public
from complaints.services.catalogue import create_routing_rule
from complaints.states import Status
from complaints.validators import CREDIT_CODE_CHARSET, credit_code_check_char
from core.auth.models import Department, User
from core.auth.services import create_department, create_user
from core.clock import travel_to, utcnow
from core.db import db
from core.errors import DomainError

DEMO_PASSWORD = "qualityline-demo1"

DEPARTMENTS = [  # code, name, region, routed category prefixes (region-bound when the region is a district)
    ("GL-SCJG", "鼓楼区市场监督管理局", "350102", ["G", "S"]),
    ("TJ-SCJG", "台江区市场监督管理局", "350103", ["G", "S"]),
    ("CS-SCJG", "仓山区市场监督管理局", "350104", ["G", "S"]),
    ("JA-SCJG", "晋安区市场监督管理局", "350111", ["G", "S"]),
    ("FZ-SCJG", "福州市市场监督管理局", "350100", ["G", "S"]),
    ("FZ-SW", "福州水务集团", "350100", ["P01"]),
    ("FZ-GD", "国网福州供电公司", "350100", ["P02"]),
    ("FZ-CG", "福州市城市管理委员会", "350100", ["P03", "P05", "P06"]),
    ("FZ-JT", "福州市交通运输局", "350100", ["P04", "S13"]),
    ("FZ-ZJ", "福州市城乡建设局", "350100", ["E"]),
    ("FZ-STHJ", "福州市生态环境局", "350100", ["V"]),
    ("FZ-ZWFW", "福州市行政服务中心管理委员会", "350100", ["A"]),
]
STAFF = [
    ("admin", "admin", None),
    ("supervisor", "supervisor", None),
    ("dispatcher", "dispatcher", None),
    ("operator", "operator", None),
    ("analyst", "analyst", None),
]
DISTRICTS = ["350102", "350103", "350104", "350105", "350111", "350112", "350121", "350181"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红"

# kind, category, title, description, respondent (None = no business), amount
TEMPLATES: list[tuple[str, str, str, str, str | None, str | None]] = [
    (
        "complaint",
        "G0101",
        "电热水壶使用两周漏电",
        "在该商行购买的电热水壶使用两周后底座漏电，要求退货被拒绝。",
        "电器商行",
        "299.00",
    ),
    (
        "complaint",
        "G0102",
        "新买手机频繁死机",
        "购买的手机七天内频繁死机重启，商家只同意维修不同意换货。",
        "通讯器材店",
        "3299.00",
    ),
    (
        "complaint",
        "G0103",
        "空调安装后不制冷",
        "空调安装后一直不制冷，售后多次上门未解决。",
        "家电销售有限公司",
        "4599.00",
    ),
    (
        "complaint",
        "S1401",
        "餐厅食物变质",
        "在该餐厅用餐时发现菜品变质，商家拒绝赔偿。",
        "餐饮管理有限公司",
        "268.00",
    ),
    (
        "complaint",
        "S0401",
        "网购商品与描述不符",
        "网购的羽绒服含绒量与页面描述严重不符，申请退款被拒。",
        "电子商务有限公司",
        "899.00",
    ),
    (
        "complaint",
        "S06",
        "培训机构拒不退费",
        "预交的一年课程费，机构停课后拒不退还剩余费用。",
        "教育咨询有限公司",
        "12800.00",
    ),
    (
        "complaint",
        "S05",
        "物业收费不透明",
        "小区物业擅自上调停车费，未公示收费依据。",
        "物业管理有限公司",
        "1200.00",
    ),
    ("complaint", "G03", "超市销售过期食品", "在超市购买的酸奶已超过保质期三天。", "超市有限公司", "15.80"),
    ("report", "G08", "药店无证销售处方药", "该药店不凭处方销售处方类抗生素。", "大药房", None),
    (
        "report",
        "V01",
        "工地夜间施工噪声扰民",
        "工地连续多日夜间十一点后仍在施工，噪声很大。",
        "建筑工程有限公司",
        None,
    ),
    ("report", "V02", "工厂夜间排放刺鼻废气", "附近工厂夜间排放刺鼻气味的废气。", "化工有限公司", None),
    ("inquiry", "A03", "咨询新生儿医保办理流程", "想了解新生儿参加城乡居民医保需要哪些材料。", None, None),
    ("inquiry", "A04", "咨询社保转移接续", "从外省调入福州工作，社保如何转移接续？", None, None),
    (
        "help",
        "P01",
        "小区停水两天无人处理",
        "小区已连续停水两天，物业和供水热线均未给出恢复时间。",
        None,
        None,
    ),
    ("help", "P02", "整栋楼频繁停电", "最近一周整栋楼每天傍晚停电，影响老人生活。", None, None),
    ("help", "P05", "路边垃圾堆放多日未清运", "路口垃圾桶满溢多日无人清运，异味严重。", None, None),
    ("suggestion", "P04", "建议增加早高峰公交班次", "早高峰公交间隔过长，建议加密班次。", None, None),
    (
        "suggestion",
        "A01",
        "建议简化营业执照变更材料",
        "营业执照地址变更需要重复提交材料，建议一网通办。",
        None,
        None,
    ),
    ("praise", "A02", "表扬政务中心窗口工作人员", "窗口工作人员耐心细致，一次就办好了业务。", None, None),
    (
        "complaint",
        "E02",
        "新房墙体开裂渗水",
        "交房不到一年，卧室墙体开裂并渗水，开发商推诿。",
        "房地产开发有限公司",
        "0.00",
    ),
]
# Final status -> share of demo cases.
STATUS_MIX = [
    (Status.REGISTERED, 8),
    (Status.ACCEPTED, 6),
    (Status.ASSIGNED, 7),
    (Status.IN_PROGRESS, 20),
    (Status.REPLIED, 12),
    (Status.CLOSED, 34),
    (Status.REJECTED, 6),
    (Status.TRANSFERRED, 4),
    (Status.MERGED, 3),
]


@dataclass
class DemoSummary:
    users: list[tuple[str, str, str | None]]
    statuses: Counter


def _random_credit_code(rng: random.Random) -> str:
    body = (
        "9135"
        + rng.choice(["0102", "0103", "0104", "0111"])
        + "".join(rng.choice(CREDIT_CODE_CHARSET) for _ in range(9))
    )
    return body + credit_code_check_char(body)


def _ensure_org() -> list[tuple[str, str, str | None]]:
    users: list[tuple[str, str, str | None]] = []
    for code, name, region, prefixes in DEPARTMENTS:
        if db.session.scalar(select(Department.id).where(Department.code == code)) is None:
            create_department(code, name, region)
            for prefix in prefixes:
                create_routing_rule(prefix, code, region if region != "350100" else None)
        username = "h_" + code.lower().replace("-", "_")
        users.append((username, "handler", code))
    users = [(u, r, d) for u, r, d in STAFF] + users
    for username, role, department in users:
        if db.session.scalar(select(User.id).where(User.username == username)) is None:
            create_user(username, role, DEMO_PASSWORD, department)
    return users


def _payload(rng: random.Random) -> dict[str, Any]:
    kind, category, title, description, respondent, amount = rng.choice(TEMPLATES)
    district = rng.choice(DISTRICTS)
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))
    anonymous = kind == "report" and rng.random() < 0.5
    body: dict[str, Any] = {
        "kind": kind,
        "hotline": "12315" if kind in ("complaint", "report") and category[0] in "GS" else "12345",
        "category_code": category,
        "region_code": district,
        "title": title,
        "description": description,
        "amount_involved": Decimal(amount) if amount else None,
        "address": f"福州市{rng.randint(1, 300)}号",
        "is_confidential": kind == "report" and rng.random() < 0.6,
        "respondent": {"name": f"福州市某某{respondent}", "credit_code": _random_credit_code(rng)}
        if respondent
        else {},
        "complainant": {}
        if anonymous
        else {"name": name, "mobile": f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"},
    }
    return body


class _Walker:
    """Moves one case forward through the lifecycle at increasing backdated moments."""

    def __init__(self, rng: random.Random, users: dict[str, User], start: datetime, end: datetime):
        self.rng, self.users, self.at, self.end = rng, users, start, end

    def step(
        self, action: str, actor: str, body: dict[str, Any], code: str, hours: tuple[float, float]
    ) -> bool:
        moment = self.at + timedelta(hours=self.rng.uniform(*hours))
        if moment >= self.end:
            return False
        self.at = moment
        with travel_to(moment):
            actions.perform_action(code, action, self.users[actor], body)
        return True


def _walk(
    rng: random.Random, users: dict[str, User], target: Status, end: datetime, recent: list[str]
) -> Status:
    days_back = rng.uniform(0.2, 60.0) if target not in (Status.REGISTERED,) else rng.uniform(0.05, 9.0)
    received = end - timedelta(days=days_back)
    data = _payload(rng)
    phone = rng.random() < 0.45
    with travel_to(received):
        if phone:
            result = intake.register_case(
                {**data, "channel": "phone", "priority": "urgent" if rng.random() < 0.04 else "normal"},
                users["operator"],
            )
        else:
            result = intake.submit_complaint({**data, "channel": rng.choice(["web", "web", "wechat", "app"])})
    code, key = result.case.tracking_code, result.access_key
    walker = _Walker(rng, users, received, end)
    if target is Status.REGISTERED:
        return Status.REGISTERED
    open_targets = [c for c in recent[-30:] if intake.find_case_by_code(c).status not in ("closed", "merged")]
    if target is Status.MERGED and open_targets:
        into = {"into": rng.choice(open_targets)}
        return Status.MERGED if walker.step("merge", "dispatcher", into, code, (1, 30)) else Status.REGISTERED
    recent.append(code)
    if target in (Status.REJECTED, Status.TRANSFERRED):
        action = "reject" if target is Status.REJECTED else "transfer"
        body = (
            {"reason_code": rng.choice([1, 3, 4, 6]), "reason": "经核查不属于受理范围"}
            if action == "reject"
            else {"to": "福州市公安局", "reason": "涉嫌违法犯罪，移送公安机关"}
        )
        if not walker.step(action, "dispatcher", body, code, (2, 100)):
            return Status.REGISTERED
        if rng.random() < 0.6 and walker.step("feedback", "operator", {"channel": "sms"}, code, (1, 30)):
            walker.step("close", "operator", {}, code, (1, 20))
        return Status(intake.find_case_by_code(code).status)
    return _walk_handling(walker, code, key, target, users)


def _walk_handling(walker: _Walker, code: str, key: str, target: Status, users: dict[str, User]) -> Status:
    rng = walker.rng
    if not walker.step("accept", "dispatcher", {}, code, (1, 60)) or target is Status.ACCEPTED:
        return Status(intake.find_case_by_code(code).status)
    if not walker.step("assign", "dispatcher", {"department_code": None}, code, (0.5, 20)):
        return Status.ACCEPTED
    case = intake.find_case_by_code(code)
    handler = "h_" + case.department.code.lower().replace("-", "_")
    if target is Status.ASSIGNED or not walker.step("sign", handler, {}, code, (0.5, 20)):
        return Status(case.status)
    if rng.random() < 0.85:  # most departments phone the citizen soon after signing (响应)
        walker.step("contact", handler, {"channel": "phone", "note": "已电话联系诉求人"}, code, (1, 40))
    room = case.handling_due_at - walker.at > timedelta(hours=200)  # extensions only before the deadline
    if (
        room
        and rng.random() < 0.08
        and walker.step("extend", handler, {"days": 5, "reason": "需现场核查"}, code, (24, 200))
    ):
        walker.step("approve_extension", "supervisor", {}, code, (1, 24))
    if rng.random() < 0.1:
        walker.step("urge", "supervisor", {"note": "请加快办理"}, code, (24, 100))
    if target is Status.IN_PROGRESS:
        return Status.IN_PROGRESS
    outcome = rng.choices(
        ["resolved", "partly_resolved", "unresolved", "not_substantiated"], [60, 20, 10, 10]
    )[0]
    reply = {
        "outcome": outcome,
        "reply": "经调解，商家同意退货退款。" if outcome == "resolved" else "已核查处理。",
        "loss_recovered": Decimal(rng.choice(["0.00", "99.00", "299.00", "1200.00"])),
    }
    if not walker.step("reply", handler, reply, code, (24, 400)) or target is Status.REPLIED:
        return Status(intake.find_case_by_code(code).status)
    moment = walker.at + timedelta(hours=rng.uniform(2, 48))
    if moment < walker.end:
        with travel_to(moment):
            rating = rng.choices([5, 4, 3, 2, 1], [50, 25, 12, 8, 5])[0]
            public.rate_case(code, key, rating, rating >= 3, "处理及时" if rating >= 4 else None)
    return Status(intake.find_case_by_code(code).status)


def load_demo(count: int, seed: int) -> DemoSummary:
    """Create the demo organisation and `count` cases whose final states follow STATUS_MIX."""
    rng = random.Random(seed)
    users_list = _ensure_org()
    users = {u.username: u for u in db.session.scalars(select(User))}
    end = utcnow()
    statuses: Counter = Counter()
    recent: list[str] = []
    targets = rng.choices([s for s, _ in STATUS_MIX], [w for _, w in STATUS_MIX], k=count)
    for target in targets:
        try:
            statuses[_walk(rng, users, target, end, recent)] += 1
        except DomainError as exc:  # a demo path the rules refuse is skipped, never half-written
            db.session.rollback()
            statuses[f"skipped ({exc.message})"] += 1
    return DemoSummary(users_list, statuses)
