"""Realistic synthetic data for the benchmarks: cases with their audit events, and survey responses.

Cases (load_cases) are drawn column by column with numpy and bulk-loaded with COPY (psycopg3), in chunks,
with the secondary indexes of `cases` and `case_events` dropped during the load and rebuilt after it
(measured: rebuilding once is several times faster than maintaining 14 indexes row by row).

What makes them realistic, and consistent with what the app would have written:
- three years of intake ending now, growing 50 % over the period, fewer on weekends, office-hour peaks;
- kind, channel, category (leaf codes of the seeded catalogue), district and respondent drawn with skewed
  (Zipf-like) frequencies; hotline as the intake form suggests it; department by the routing rules the
  generator creates (one bureau per district and category family);
- a lifecycle per case: decision (accept 88 %, reject, transfer, merge), assignment, sign-for, contact,
  reply after a log-normal number of working days per kind, feedback, closing; extensions (~5 %), reopens
  after a bad rating (~3 %), ratings for most closed cases; every deadline computed on the statutory
  working-day calendar exactly as complaints.policy computes it; status = the last step reached by now,
  so old cases are closed and recent ones open; 8 % of cases stall (no one records the next step), which
  leaves ~10 % of all cases open, as on a real platform's backlog;
- sla_flag as the scheduler's SLA scan would have left it (due_soon, overdue, urged, escalated), with the
  urge/escalate events in the audit chain, so the steady SLA pass has nothing to do;
- audit events hash-chained exactly as complaints.services.audit computes them (event_count and
  last_event_hash match), with the payloads the actions write; at sizes above EVENTS_FULL_UP_TO cases only
  the open cases and the last 30 days' intake get their events (the others keep an empty, valid chain);
- Chinese titles and descriptions from templates, masked-looking but valid mobile numbers
  (1[3-9]xxxxxxxxx), complainant names like 王先生, and GB 32100-valid credit codes for 40 % of respondents.
"""

from __future__ import annotations

import hashlib
import io
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl
import psycopg
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from complaints.models import Category
from complaints.policy import DEFAULT_RULES
from complaints.services.audit import GENESIS_HASH
from complaints.services.catalogue import create_routing_rule, seed_catalogues
from complaints.states import REJECTION_REASONS
from complaints.validators import CREDIT_CODE_CHARSET
from core.auth.models import User
from core.auth.services import create_department, create_user
from core.db import db
from core.regions import Region
from core.workdays import load_calendar

CHUNK = 250_000
EVENTS_FULL_UP_TO = 1_000_000
HISTORY_DAYS = 1096
TZ_OFFSET = 8 * 3600  # Asia/Shanghai has had no daylight saving since 1991
NULL = np.iinfo(np.int64).min  # int64 min is NaT once viewed as datetime64
DAY = 86400
HOUR = 3600

KINDS = ["complaint", "inquiry", "help", "report", "suggestion", "praise"]
KIND_P = [0.46, 0.22, 0.12, 0.10, 0.07, 0.03]
CHANNELS = ["phone", "web", "wechat", "app", "visit", "email", "letter"]
CHANNEL_P = [0.55, 0.15, 0.15, 0.08, 0.04, 0.02, 0.01]
# Bureau per category family (and district): routing sends each case to its district's bureau.
FAMILIES = {"G": "SCJG", "S": "SCJG", "P": "CSGL", "E": "ZJJ", "V": "STHJ", "A": "ZWFW"}
BUREAU_NAMES = {
    "SCJG": "市场监督管理局",
    "CSGL": "城市管理局",
    "ZJJ": "住房和城乡建设局",
    "STHJ": "生态环境局",
    "ZWFW": "政务服务中心",
}
RATING_P = [0.02, 0.025, 0.105, 0.28, 0.57]  # 1 .. 5; a bad rating (1, 2) reopens the case
SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
BRANDS = list("恒鑫华盛德隆泰福源兴达利民康宏顺安佳美新天永嘉瑞祥和丰正通诚信")
TRADES = [
    "商贸有限公司",
    "电器商行",
    "超市",
    "餐饮店",
    "物业管理有限公司",
    "装饰工程有限公司",
    "教育咨询有限公司",
    "通讯器材店",
    "汽车销售服务有限公司",
    "健身俱乐部",
    "电子商务有限公司",
    "药房",
    "酒店",
    "旅行社",
]
# Title fragments per category family: what the caller reports, in the hotline's words.
SUBJECTS = {
    "G": [
        "电热水壶",
        "手机",
        "空调",
        "冰箱",
        "羽绒服",
        "运动鞋",
        "奶粉",
        "食用油",
        "瓷砖",
        "电动车",
        "化肥",
        "保健品",
        "白酒",
        "金项链",
        "儿童玩具",
    ],
    "S": [
        "网购订单",
        "预付卡",
        "宽带",
        "物业服务",
        "装修工程",
        "培训课程",
        "理财产品",
        "车险理赔",
        "健身卡",
        "快递包裹",
        "旅游团",
        "外卖",
        "酒店预订",
    ],
    "P": ["小区", "路段", "公交线路", "燃气管道", "路灯", "垃圾收运点"],
    "E": ["工地", "新建楼盘", "小区外墙", "市政道路"],
    "V": ["工厂", "餐馆油烟", "工地夜间施工", "河道", "垃圾站"],
    "A": ["社保办理", "营业执照", "不动产登记", "公积金提取", "窗口服务"],
}
PROBLEMS = {
    "G": [
        "质量问题要求退货",
        "使用不久即损坏",
        "漏电存在安全隐患",
        "以次充好",
        "虚假宣传",
        "过期变质",
        "商家拒绝三包",
        "价格欺诈",
    ],
    "S": [
        "退款难",
        "未按约定提供服务",
        "商家失联",
        "收费不合理",
        "合同纠纷",
        "霸王条款",
        "服务态度差",
        "迟迟不发货",
    ],
    "P": ["停水", "停电", "燃气泄漏隐患", "班次减少", "路灯不亮", "垃圾未清运"],
    "E": ["噪声扰民", "墙体开裂", "道路破损", "渗水严重"],
    "V": ["噪声扰民", "异味扰民", "油烟扰民", "污水直排", "粉尘污染"],
    "A": ["办理时间过长", "材料要求反复", "咨询政策", "工作人员推诿", "系统无法提交"],
}
DEMANDS = [
    "要求商家退款",
    "要求相关部门尽快处理",
    "希望给予答复",
    "要求赔偿损失",
    "请求核实查处",
    "希望尽快解决",
]
REPLY_OUTCOMES = ["resolved", "partly_resolved", "unresolved", "not_substantiated"]
OUTCOME_P = [0.62, 0.16, 0.12, 0.10]
HANDLING_MEDIAN_WD = {
    "complaint": 9.0,
    "report": 8.0,
    "inquiry": 1.0,
    "help": 2.0,
    "suggestion": 3.0,
    "praise": 2.0,
}


@dataclass
class Reference:
    """What the generated rows point at: catalogue codes, departments, staff, the working-day table."""

    categories: list[str]
    regions: list[str]
    departments: dict[tuple[str, str], tuple[int, str]]  # (district, family) -> (id, code)
    actors: dict[str, int]  # role or "handler:<department id>" -> user id
    day0: date
    workday_number: np.ndarray  # per local day from day0


def setup_reference(horizon_days: int = HISTORY_DAYS + 400) -> Reference:
    """Catalogues, one bureau per district and family with its routing rules, staff users, calendar."""
    seed_catalogues()
    districts = list(db.session.scalars(select(Region.code).where(Region.level == 3).order_by(Region.code)))
    parents = set(db.session.scalars(select(Category.parent_code).where(Category.parent_code.is_not(None))))
    categories = [
        c for c in db.session.scalars(select(Category.code).order_by(Category.code)) if c not in parents
    ]
    departments = {}
    names = dict(db.session.execute(select(Region.code, Region.name)).all())
    for district in districts:
        for bureau in sorted(set(FAMILIES.values())):
            code = f"{district}-{bureau}"
            department = create_department(code, names[district] + BUREAU_NAMES[bureau], district)
            for family, b in FAMILIES.items():
                if b == bureau:
                    create_routing_rule(family, code, district)
            db.session.flush()
            for family, b in FAMILIES.items():
                if b == bureau:
                    departments[(district, family)] = (department.id, code)
    # Staff: one account with a real password hash, the others copy it (hashing ~70 passwords is slow).
    first = create_user("disp", "dispatcher", "bench-pass-1")
    db.session.flush()
    rows = [("oper", "operator", None), ("super", "supervisor", None)]
    rows += [(f"hand-{code}", "handler", dept_id) for dept_id, code in set(departments.values())]
    db.session.execute(
        text(
            "INSERT INTO users (username, display_name, password_hash, role, department_id, is_active, "
            "created_at) VALUES (:u, '', :h, :r, :d, true, now())"
        ),
        [{"u": u, "h": first.password_hash, "r": r, "d": d} for u, r, d in rows],
    )
    db.session.commit()
    actors = {}
    for user in db.session.scalars(select(User)):
        actors[user.role if user.department_id is None else f"handler:{user.department_id}"] = user.id
    calendar = load_calendar("Asia/Shanghai")
    today = datetime.now(UTC).date()
    day0 = today - timedelta(days=HISTORY_DAYS + 30)
    numbers = np.array(
        [calendar.workday_number(day0 + timedelta(days=i)) for i in range(HISTORY_DAYS + 30 + horizon_days)],
        dtype=np.int64,
    )
    return Reference(categories, districts, departments, actors, day0, numbers)


class Clock:
    """Vectorised working-day arithmetic on epoch seconds, as core.workdays does it one date at a time."""

    def __init__(self, ref: Reference) -> None:
        self.wn = ref.workday_number
        self.base = int(datetime(ref.day0.year, ref.day0.month, ref.day0.day, tzinfo=UTC).timestamp())

    def local_day(self, t: np.ndarray) -> np.ndarray:
        return (t + TZ_OFFSET - self.base) // DAY

    def add_workdays(self, t: np.ndarray, n: np.ndarray | int) -> np.ndarray:
        """End (23:59:59 local) of the n-th working day after t's local date."""
        target = np.searchsorted(self.wn, self.wn[self.local_day(t)] + n, side="left")
        return self.base + target * DAY + DAY - 1 - TZ_OFFSET

    def workdays_between(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        da, db_ = self.local_day(a), self.local_day(b)
        return np.where(db_ > da, self.wn[db_] - self.wn[da], 0)

    def local_midnight_after(self, t: np.ndarray) -> np.ndarray:
        return self.base + (self.local_day(t) + 1) * DAY - TZ_OFFSET


def zipf_weights(k: int, s: float, rng: np.random.Generator) -> np.ndarray:
    """Zipf-like shares over k items in a random (but seeded) rank order."""
    w = 1.0 / np.arange(1, k + 1) ** s
    rng.shuffle(w)
    return w / w.sum()


def fixed_strings(codes: np.ndarray) -> np.ndarray:
    """Rows of ASCII codes (n x width uint8) -> a numpy unicode array, without a Python loop."""
    return np.ascontiguousarray(codes, dtype=np.uint8).view(f"S{codes.shape[1]}")[:, 0].astype(str)


def credit_codes(region: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """GB 32100 codes: 91 (enterprise) + the district code + 9 random symbols + the mod-31 check symbol."""
    n = len(region)
    charset = np.frombuffer(CREDIT_CODE_CHARSET.encode(), dtype=np.uint8)
    values = np.empty((n, 17), dtype=np.int64)
    values[:, 0], values[:, 1] = 9, 1
    digits = np.array([[int(ch) for ch in r] for r in region])
    values[:, 2:8] = digits
    values[:, 8:] = rng.integers(0, 31, (n, 9))
    weights = np.array([pow(3, i, 31) for i in range(17)])
    check = (31 - (values * weights).sum(axis=1) % 31) % 31
    return fixed_strings(charset[np.concatenate([values, check[:, None]], axis=1)])


def merchants(n_cases: int, regions: list[str], rng: np.random.Generator) -> pl.DataFrame:
    """Respondent pool: one business per 25 cases (at least 400), 40 % with a valid credit code."""
    m = max(400, n_cases // 25)
    region = np.array(regions)[rng.integers(0, len(regions), m)]
    name = (
        pl.DataFrame(
            {
                "a": np.array(BRANDS)[rng.integers(0, len(BRANDS), m)],
                "b": np.array(BRANDS)[rng.integers(0, len(BRANDS), m)],
                "t": np.array(TRADES)[rng.integers(0, len(TRADES), m)],
                "n": rng.integers(1, 999, m).astype(str),
            }
        )
        .select(pl.concat_str(["a", "b", "t", pl.lit("（"), "n", pl.lit("号店）")]).alias("name"))
        .to_series()
    )
    code = np.where(rng.random(m) < 0.4, credit_codes(region, rng), None)
    return pl.DataFrame({"name": name, "credit_code": pl.Series(code.tolist(), dtype=pl.String)})


def _lognormal(rng: np.random.Generator, median: np.ndarray | float, sigma: float, n: int) -> np.ndarray:
    return np.asarray(median) * np.exp(sigma * rng.standard_normal(n))


def _clip_time(t: np.ndarray, lo: np.ndarray) -> np.ndarray:
    return np.maximum(t, lo + 60)


def draw_cases(
    ref: Reference, clock: Clock, first_id: int, n: int, total: int, now: int, seed: int, pool: pl.DataFrame
) -> dict[str, np.ndarray]:
    """One chunk of cases: every column as an array (times in epoch seconds, NULL = none)."""
    rng = np.random.default_rng(seed)
    ids = np.arange(first_id, first_id + n, dtype=np.int64)
    # Intake: day with growth and a weekend dip, time of day around 10:00 and 15:00 local.
    day_w = np.linspace(1.0, 1.5, HISTORY_DAYS)
    start_day = clock.local_day(np.array([now]))[0] - HISTORY_DAYS + 1
    weekday = (np.arange(HISTORY_DAYS) + start_day + ref.day0.weekday()) % 7
    day_w *= np.where(weekday >= 5, 0.7, 1.0)
    day = start_day + rng.choice(HISTORY_DAYS, n, p=day_w / day_w.sum())
    hour = np.where(rng.random(n) < 0.5, rng.normal(10, 1.6, n), rng.normal(15.5, 2.0, n)).clip(0, 23.99)
    received = clock.base + day * DAY - TZ_OFFSET + (hour * HOUR).astype(np.int64)
    received = np.minimum(received, now - 60)
    kind = rng.choice(len(KINDS), n, p=KIND_P)
    channel = rng.choice(len(CHANNELS), n, p=CHANNEL_P)
    cat_w = zipf_weights(len(ref.categories), 1.05, np.random.default_rng(1))
    reg_w = zipf_weights(len(ref.regions), 0.8, np.random.default_rng(2))
    category = rng.choice(len(ref.categories), n, p=cat_w)
    region = rng.choice(len(ref.regions), n, p=reg_w)
    categories, regions = np.array(ref.categories), np.array(ref.regions)
    family = np.array([c[0] for c in ref.categories])[category]
    urgent = rng.random(n) < 0.03
    kinds = np.array(KINDS)[kind]
    # Lifecycle: the time each step would happen, if no one stalls.
    acceptance_due = np.where(urgent, received + 2 * HOUR, clock.add_workdays(received, 7))
    decided = received + _lognormal(rng, 20 * HOUR, 1.0, n).astype(np.int64)
    decided = np.minimum(decided, acceptance_due - 60 * (rng.random(n) < 0.97))  # 3 % decided late
    decision = rng.choice(4, n, p=[0.88, 0.05, 0.04, 0.03])  # accept, reject, transfer, merge
    limit = np.array([DEFAULT_RULES["handling_wd"][k] for k in KINDS])[kind]
    handling_due0 = np.where(urgent, decided + 24 * HOUR, clock.add_workdays(decided, limit))
    assigned = decided + _lognormal(rng, 3 * HOUR, 0.8, n).astype(np.int64)
    sign_due = np.where(urgent, assigned + 2 * HOUR, clock.add_workdays(assigned, 1))
    contact_due = np.where(urgent, assigned + 4 * HOUR, clock.add_workdays(assigned, 2))
    return_until = clock.add_workdays(assigned, 2)
    signed = assigned + _lognormal(rng, 5 * HOUR, 0.9, n).astype(np.int64)
    contacts = rng.random(n) < 0.9
    contacted = signed + _lognormal(rng, 12 * HOUR, 0.9, n).astype(np.int64)
    extended = (rng.random(n) < 0.05) & (decision == 0) & ~urgent
    ext_days = np.where(kinds == "report", rng.choice([5, 10, 15], n), rng.choice([5, 10], n))
    handling_due = np.where(extended, clock.add_workdays(handling_due0, ext_days), handling_due0)
    extend_at = signed + (handling_due0 - signed) // 2
    median_wd = np.array([HANDLING_MEDIAN_WD[k] for k in KINDS])[kind] * np.where(extended, 2.5, 1.0)
    wd = np.floor(_lognormal(rng, median_wd, 0.75, n)).astype(np.int64)
    replied = np.where(
        wd > 0,
        clock.add_workdays(signed, wd) - DAY + 9 * HOUR + rng.integers(0, 9 * HOUR, n),
        signed + 2 * HOUR,
    )
    replied = np.where(urgent, signed + _lognormal(rng, 10 * HOUR, 0.6, n).astype(np.int64), replied)
    replied = _clip_time(replied, np.maximum(signed, np.where(contacts, contacted, signed)))
    # Mediation of an ordinary complaint ends at its limit: the system replies "unresolved" then.
    mediated = (kinds == "complaint") & ~urgent & (replied > handling_due)
    replied = np.where(mediated, handling_due + 60, replied)
    contacted = np.where(contacts & (contacted < replied), contacted, replied)
    outcome = rng.choice(len(REPLY_OUTCOMES), n, p=OUTCOME_P)
    outcome = np.where(mediated, 2, outcome)
    feedback = replied + _lognormal(rng, 24 * HOUR, 1.0, n).astype(np.int64)
    closed = feedback + _lognormal(rng, 30 * HOUR, 1.0, n).astype(np.int64)
    rated = rng.random(n) < 0.7
    rating = rng.choice(5, n, p=RATING_P) + 1
    reopened = rated & (rating <= 2)  # policy: a bad rating reopens (~3 % of replied cases)
    rated_at = closed + _lognormal(rng, 20 * HOUR, 1.0, n).astype(np.int64)
    reopen_due = clock.add_workdays(rated_at, 15)
    replied2 = rated_at + _lognormal(rng, 5 * DAY, 0.6, n).astype(np.int64)
    feedback2 = replied2 + _lognormal(rng, 24 * HOUR, 1.0, n).astype(np.int64)
    closed2 = feedback2 + _lognormal(rng, 30 * HOUR, 1.0, n).astype(np.int64)
    rating2 = np.where(rng.random(n) < 0.6, rng.choice([3, 4, 5], n), 0)
    rated2_at = closed2 + _lognormal(rng, 20 * HOUR, 1.0, n).astype(np.int64)
    # Stalls: 8 % of cases stop at a step nobody records (most often the feedback after a reply).
    stall = np.where(
        rng.random(n) < 0.08, rng.choice([1, 2, 3, 5, 6], n, p=[0.05, 0.05, 0.05, 0.25, 0.6]), 99
    )
    # Normal complaints never stall in handling: mediation would end them at the limit.
    stall = np.where((stall == 5) & (kinds == "complaint") & ~urgent, 6, stall)
    # Steps in order: 1 decided, 2 assigned, 3 signed, 4 contacted, 5 replied, 6 feedback, 7 closed, 8 rated,
    # 9.. reopen round. reached[k] = step k happened by now and the case did not stall before it.
    ok = lambda step, t: (t <= now) & (stall > step)  # noqa: E731
    d_ok = (decided <= now) & (stall > 1)
    accepted_path = decision == 0
    a_ok = d_ok & accepted_path & ok(2, assigned)
    s_ok = a_ok & ok(3, signed)
    c_ok = s_ok & contacts & (contacted < replied) & ok(4, contacted)
    r_ok = s_ok & ok(5, replied)
    f_ok = r_ok & ok(6, feedback)
    cl_ok = f_ok & ok(7, closed)
    rt_ok = cl_ok & rated & ok(8, rated_at)
    ro_ok = rt_ok & reopened
    r2_ok = ro_ok & (replied2 <= now)
    f2_ok = r2_ok & (feedback2 <= now)
    cl2_ok = f2_ok & (closed2 <= now)
    rt2_ok = cl2_ok & (rating2 > 0) & (rated2_at <= now)
    # Rejected / transferred: feedback then closed; merged: done at the decision.
    o_ok = d_ok & ((decision == 1) | (decision == 2))
    of_ok = o_ok & ok(6, feedback)
    ocl_ok = of_ok & ok(7, closed)
    status = np.full(n, "registered", dtype=object)
    status[d_ok & accepted_path] = "accepted"
    status[a_ok] = "assigned"
    status[s_ok] = "in_progress"
    status[r_ok] = "replied"
    status[cl_ok] = "closed"
    status[ro_ok] = "in_progress"
    status[r2_ok] = "replied"
    status[cl2_ok] = "closed"
    status[d_ok & (decision == 1)] = "rejected"
    status[d_ok & (decision == 2)] = "transferred"
    status[ocl_ok] = "closed"
    status[d_ok & (decision == 3)] = "merged"
    status = status.astype(str)

    def when(mask: np.ndarray, t: np.ndarray) -> np.ndarray:
        return np.where(mask, t, NULL)

    final_reply = np.where(r2_ok, replied2, replied)
    col = {
        "id": ids,
        "kind": kinds,
        "channel": np.array(CHANNELS)[channel],
        "priority": np.where(urgent, "urgent", "normal"),
        "category_code": categories[category],
        "region_code": regions[region],
        "family": family,
        "status": status,
        "received_at": received,
        "acceptance_due_at": acceptance_due,
        "decided_at": when(d_ok, decided),
        "accepted_at": when(d_ok & accepted_path, decided),
        "assigned_at": when(a_ok, assigned),
        "sign_due_at": when(a_ok, sign_due),
        "contact_due_at": when(a_ok, contact_due),
        "return_until": when(a_ok, return_until),
        "signed_at": when(s_ok, signed),
        "contacted_at": when(r_ok | c_ok, np.where(c_ok, contacted, replied)),
        "replied_at": when(r_ok & ~(ro_ok & ~r2_ok), final_reply),
        "handling_due_at": when(d_ok & accepted_path, np.where(ro_ok, reopen_due, handling_due)),
        "handling_due0": handling_due0,
        "handling_due1": handling_due,
        "extended": extended & s_ok & (extend_at <= now),
        "ext_days": ext_days,
        "extend_at": extend_at,
        "handling_workdays": np.where(
            r_ok & ~(ro_ok & ~r2_ok), clock.workdays_between(decided, final_reply), -1
        ),
        "outcome": np.where(r_ok & ~(ro_ok & ~r2_ok), np.array(REPLY_OUTCOMES)[outcome], ""),
        "mediated": mediated,
        "loss": np.where(
            r_ok & (outcome <= 1) & (kinds == "complaint"), np.round(_lognormal(rng, 300, 1.2, n), 2), -1.0
        ),
        "feedback_at": when((f_ok & ~ro_ok) | f2_ok | of_ok, np.where(f2_ok, feedback2, feedback)),
        "feedback_due_at": when(
            (r_ok & ~(ro_ok & ~r2_ok)) | o_ok,
            clock.add_workdays(np.where(r2_ok, replied2, np.where(o_ok, decided, replied)), 2),
        ),
        "closed_at": when((cl_ok & ~ro_ok) | cl2_ok | ocl_ok, np.where(cl2_ok, closed2, closed)),
        "rating": np.where(
            rt2_ok, rating2, np.where(rt_ok & ~ro_ok, rating, np.where(ro_ok & ~rt2_ok, rating, 0))
        ),
        "rated_at": when(rt_ok, np.where(rt2_ok, rated2_at, rated_at)),
        "rated_resolved_p": rng.random(n),
        "reopen_count": ro_ok.astype(np.int64),
        "reopened_at": when(ro_ok, rated_at),
        "first_reply": when(r_ok, replied),
        "first_feedback": when(f_ok, feedback),
        "first_closed": when(cl_ok, closed),
        "first_rating": np.where(rt_ok, rating, 0),
        "first_rated_at": when(rt_ok, rated_at),
        "other_feedback": when(of_ok, feedback),
        "other_closed": when(ocl_ok, closed),
        "second_reply": when(r2_ok, replied2),
        "second_feedback": when(f2_ok, feedback2),
        "second_closed": when(cl2_ok, closed2),
        "second_rating": np.where(rt2_ok, rating2, 0),
        "second_rated_at": when(rt2_ok, rated2_at),
        "decision": decision,
        "rejection_code": np.where(d_ok & (decision == 1), rng.choice([1, 3, 4, 5, 6], n), 0),
        "merge_into": np.maximum(1, ids - rng.integers(1, 2000, n)),
        "stalled": stall < 99,
    }
    # A case merged into itself or a later one is impossible: the first case merges nowhere.
    col["decision"] = np.where((decision == 3) & (ids == 1), 0, decision)
    # Department by the routing rules; only cases assigned (now or before) have one.
    dept_ids = np.array([ref.departments[(r, f)][0] for r, f in zip(col["region_code"], family, strict=True)])
    col["department_id"] = np.where(a_ok, dept_ids, -1)
    # next_due_at as Case.refresh_next_due sets it.
    st = status
    feedback_pending = np.isin(st, ["replied", "rejected", "transferred"]) & (col["feedback_at"] == NULL)
    col["next_due_at"] = np.select(
        [st == "registered", st == "assigned", np.isin(st, ["accepted", "in_progress"]), feedback_pending],
        [acceptance_due, sign_due, col["handling_due_at"], col["feedback_due_at"]],
        NULL,
    )
    # The SLA scan's marks as it would have left them by now (see complaints.services.sla).
    nd = col["next_due_at"]
    has = nd != NULL
    today_start = clock.local_midnight_after(np.array([now]))[0] - DAY
    horizon = clock.add_workdays(np.array([now]), 1)[0]
    in_mediation = (kinds == "complaint") & (st == "in_progress") & ~urgent
    urgeable = has & (nd < today_start) & ~in_mediation
    escalate_at = clock.local_midnight_after(clock.add_workdays(np.where(has, nd, now), 2))
    flag = np.full(n, "", dtype=object)
    flag[has & (nd >= now) & (nd <= horizon)] = "due_soon"
    flag[has & (nd < now)] = "overdue"
    flag[urgeable] = "urged"
    flag[urgeable & (escalate_at <= now)] = "escalated"
    col["sla_flag"] = flag.astype(str)
    col["urge_at"] = np.where(urgeable, clock.local_midnight_after(np.where(has, nd, now)) + 60, NULL)
    col["escalate_at"] = np.where(flag == "escalated", escalate_at + 60, NULL)
    col["urge_count"] = urgeable.astype(np.int64)
    # People: recurring callers (Zipf over a pool), respondents from the business pool.
    callers = max(1000, total // 3)
    caller = rng.zipf(1.6, n) % callers
    mobile_digits = np.empty((n, 11), dtype=np.uint8)
    mobile_digits[:, 0] = ord("1")
    mobile_digits[:, 1] = ord("3") + (caller % 7)
    caller_rng = (caller * 2654435761 + 97) % 10**9
    for i in range(9):
        mobile_digits[:, 10 - i] = ord("0") + (caller_rng // 10**i) % 10
    col["complainant_mobile"] = fixed_strings(mobile_digits)
    col["complainant_name"] = (
        np.array(SURNAMES)[caller % len(SURNAMES)].astype(object)
        + np.where(caller % 2 == 0, "先生", "女士").astype(object)
    ).astype(str)
    merchant = (rng.zipf(1.3, n) - 1 + rng.integers(0, len(pool), n) * (rng.random(n) < 0.6)) % len(pool)
    col["merchant"] = merchant
    col["subject"] = rng.integers(0, 1000, n)
    col["problem"] = rng.integers(0, 1000, n)
    col["demand"] = rng.integers(0, len(DEMANDS), n)
    col["rnd"] = rng.integers(0, 2**62, n)
    return col


def _texts(col: dict[str, np.ndarray], pool: pl.DataFrame) -> pl.DataFrame:
    """Title, description and respondent columns from the templates."""
    family = col["family"]
    subject = np.empty(len(family), dtype=object)
    problem = np.empty(len(family), dtype=object)
    for fam, words in SUBJECTS.items():
        mask = family == fam
        subject[mask] = np.array(words)[col["subject"][mask] % len(words)]
        problem[mask] = np.array(PROBLEMS[fam])[col["problem"][mask] % len(PROBLEMS[fam])]
    merchant = pool[col["merchant"]]
    frame = pl.DataFrame(
        {
            "subject": subject.astype(str),
            "problem": problem.astype(str),
            "demand": np.array(DEMANDS)[col["demand"]],
            "respondent_name": merchant["name"],
            "respondent_credit_code": merchant["credit_code"],
            "day": (col["received_at"] + TZ_OFFSET)
            .astype("datetime64[s]")
            .astype("datetime64[D]")
            .astype(str),
        }
    )
    return frame.select(
        pl.concat_str(["subject", "problem"]).alias("title"),
        pl.concat_str(
            [
                pl.lit("来电人反映："),
                "day",
                pl.lit("在"),
                "respondent_name",
                pl.lit("办理的"),
                "subject",
                "problem",
                pl.lit("，多次沟通未果，"),
                "demand",
                pl.lit("。"),
            ]
        ).alias("description"),
        "respondent_name",
        "respondent_credit_code",
    )


def _tracking_codes(col: dict[str, np.ndarray]) -> np.ndarray:
    """QL-YYYYMMDD-XXXXXXXX like intake's, the suffix a bijection of the id (unique, random-looking)."""
    day = (col["received_at"] + TZ_OFFSET).astype("datetime64[s]").astype("datetime64[D]").astype(str)
    scrambled = (col["id"] * 0x9E3779B1 + 0x5BD1E995) % (31**8)
    charset = np.frombuffer(b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ", dtype=np.uint8)
    digits = np.stack([charset[(scrambled // 31**i) % 31] for i in range(8)], axis=1)
    return np.char.add(np.char.add("QL-", np.char.replace(day, "-", "")), "-" + fixed_strings(digits))


def _hex(values: np.ndarray, width: int) -> np.ndarray:
    """Random-looking lowercase hex of the given width from 64-bit integers (access key hashes)."""
    hexchars = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    out = np.empty((len(values), width), dtype=np.uint8)
    v = values.astype(np.uint64)
    for i in range(width):
        v = v * np.uint64(6364136223846793005) + np.uint64(1442695040888963407)
        out[:, i] = hexchars[(v >> np.uint64(60)).astype(np.int64)]
    return fixed_strings(out)


def _ts(values: np.ndarray) -> pl.Series:
    return pl.Series(values.astype("datetime64[s]").astype("datetime64[ms]"))


CASE_COLUMNS = [
    "id",
    "tracking_code",
    "access_key_hash",
    "kind",
    "channel",
    "hotline",
    "priority",
    "category_code",
    "region_code",
    "title",
    "description",
    "respondent_name",
    "respondent_credit_code",
    "respondent_credit_code_override",
    "complainant_name",
    "complainant_mobile",
    "is_confidential",
    "is_incomplete",
    "status",
    "department_id",
    "policy_version",
    "created_by_id",
    "received_at",
    "decided_at",
    "accepted_at",
    "assigned_at",
    "signed_at",
    "contacted_at",
    "replied_at",
    "feedback_at",
    "closed_at",
    "updated_at",
    "acceptance_due_at",
    "sign_due_at",
    "contact_due_at",
    "handling_workdays",
    "return_until",
    "handling_due_at",
    "feedback_due_at",
    "next_due_at",
    "extended_days",
    "urge_count",
    "return_count",
    "reopen_count",
    "rejection_code",
    "decision_reason",
    "transferred_to",
    "duplicate_of_id",
    "outcome",
    "reply",
    "loss_recovered",
    "feedback_channel",
    "rating",
    "rated_resolved",
    "rated_at",
    "event_count",
    "last_event_hash",
    "sla_flag",
]


def case_frame(
    col: dict[str, np.ndarray], pool: pl.DataFrame, chains: tuple[list[int], list[str]]
) -> pl.DataFrame:
    """The cases table's columns for one chunk."""
    texts = _texts(col, pool)
    kinds, family = col["kind"], col["family"]
    hotline = np.where(
        np.isin(kinds, ["complaint", "report"]) & np.isin(family, ["G", "S"]),
        "12315",
        np.where(family == "V", "12369", "12345"),
    )
    last = np.maximum.reduce(
        [
            col[k]
            for k in (
                "received_at",
                "decided_at",
                "assigned_at",
                "signed_at",
                "contacted_at",
                "replied_at",
                "feedback_at",
                "closed_at",
                "rated_at",
                "urge_at",
                "escalate_at",
            )
        ]
    )
    status = col["status"]
    replied = col["replied_at"] != NULL
    rated = col["rated_at"] != NULL

    def opt_int(values: np.ndarray, missing: int) -> pl.Series:
        series = pl.Series(np.asarray(values, dtype=np.int64))
        return pl.select(pl.when(series != missing).then(series)).to_series()

    def opt_str(values: np.ndarray) -> pl.Series:
        series = pl.Series(np.asarray(values, dtype=str))
        return pl.select(pl.when(series != "").then(series)).to_series()

    decision = col["decision"]
    frame = pl.DataFrame(
        {
            "id": col["id"],
            "tracking_code": _tracking_codes(col),
            "access_key_hash": _hex(col["rnd"], 64),
            "kind": kinds,
            "channel": col["channel"],
            "hotline": hotline,
            "priority": col["priority"],
            "category_code": col["category_code"],
            "region_code": col["region_code"],
            "title": texts["title"],
            "description": texts["description"],
            "respondent_name": texts["respondent_name"],
            "respondent_credit_code": texts["respondent_credit_code"],
            "respondent_credit_code_override": np.zeros(len(kinds), dtype=bool),
            "complainant_name": col["complainant_name"],
            "complainant_mobile": col["complainant_mobile"],
            "is_confidential": (col["rnd"] % 50) == 0,
            "is_incomplete": np.zeros(len(kinds), dtype=bool),
            "status": status,
            "department_id": opt_int(col["department_id"], -1),
            "policy_version": np.ones(len(kinds), dtype=np.int64),
            "created_by_id": pl.Series([None] * len(kinds), dtype=pl.Int64),
            **{
                k: _ts(col[k])
                for k in (
                    "received_at",
                    "decided_at",
                    "accepted_at",
                    "assigned_at",
                    "signed_at",
                    "contacted_at",
                    "replied_at",
                    "feedback_at",
                    "closed_at",
                )
            },
            "updated_at": _ts(last),
            **{k: _ts(col[k]) for k in ("acceptance_due_at", "sign_due_at", "contact_due_at")},
            "handling_workdays": opt_int(col["handling_workdays"], -1),
            **{k: _ts(col[k]) for k in ("return_until", "handling_due_at", "feedback_due_at", "next_due_at")},
            "extended_days": np.where(col["extended"], col["ext_days"], 0),
            "urge_count": col["urge_count"],
            "return_count": np.zeros(len(kinds), dtype=np.int64),
            "reopen_count": col["reopen_count"],
            "rejection_code": opt_int(col["rejection_code"], 0),
            "decision_reason": opt_str(
                np.where(
                    status == "rejected",
                    np.array(list(REJECTION_REASONS.values()) + [""])[col["rejection_code"] - 1],
                    np.where(
                        (decision == 2) & (col["decided_at"] != NULL), "不属于本平台职责，转交主管部门", ""
                    ),
                )
            ),
            "transferred_to": opt_str(
                np.where((decision == 2) & (col["decided_at"] != NULL), "12345省级平台", "")
            ),
            "duplicate_of_id": opt_int(np.where(status == "merged", col["merge_into"], 0), 0),
            "outcome": opt_str(col["outcome"]),
            "reply": opt_str(
                np.where(
                    replied,
                    np.where(
                        col["mediated"], "调解期限届满，终止调解", "经核实，已责成被投诉方整改并答复来电人。"
                    ),
                    "",
                )
            ),
            "loss_recovered": pl.Series(np.where(replied & (col["loss"] >= 0), col["loss"], np.nan)).fill_nan(
                None
            ),
            "feedback_channel": opt_str(np.where(col["feedback_at"] != NULL, "phone", "")),
            "rating": opt_int(np.where(rated, col["rating"], 0), 0),
            "rated_resolved": pl.Series(
                np.where(rated, col["rated_resolved_p"] < 0.15 + 0.17 * col["rating"], None).tolist(),
                dtype=pl.Boolean,
            ),
            "rated_at": _ts(col["rated_at"]),
            "event_count": chains[0],
            "last_event_hash": chains[1],
            "sla_flag": opt_str(col["sla_flag"]),
        }
    )
    return frame


def _iso(values: np.ndarray) -> list[str]:
    """UTC ISO strings as audit._utc_iso writes them (microseconds, +00:00)."""
    out = np.datetime_as_string(values.astype("datetime64[us]"), unit="us")
    return np.char.add(out, "+00:00").tolist()


def _iso_local(values: np.ndarray) -> list[str]:
    """Deadlines as the actions put them in payloads: datetime.isoformat() in the local zone."""
    shifted = np.where(values == NULL, NULL, values + TZ_OFFSET)
    out = np.datetime_as_string(shifted.astype("datetime64[s]"), unit="s")
    return np.char.add(out, "+08:00").tolist()


# Event times the event writer reads both as values and as ISO text.
RAW_EVENT_TIMES = (
    "assigned_at",
    "signed_at",
    "contacted_at",
    "first_reply",
    "first_feedback",
    "first_closed",
    "reopened_at",
    "second_reply",
    "second_feedback",
    "second_closed",
    "second_rated_at",
    "decided_at",
    "extend_at",
    "first_rated_at",
    "other_feedback",
)
# Event times it needs only as ISO text.
ISO_ONLY_EVENT_TIMES = (
    "received_at",
    "urge_at",
    "escalate_at",
    "other_closed",
)
# The other case columns it reads, as Python lists (fast per-row access).
EVENT_CASE_FIELDS = (
    "id",
    "status",
    "kind",
    "channel",
    "decision",
    "department_id",
    "extended",
    "ext_days",
    "rejection_code",
    "merge_into",
    "first_rating",
    "second_rating",
    "sla_flag",
    "mediated",
    "outcome",
    "loss",
    "reopen_count",
    "urge_count",
    "rated_resolved_p",
)


def build_events(
    col: dict[str, np.ndarray], ref: Reference, with_events: np.ndarray, next_event_id: int, sink: io.StringIO
) -> tuple[list[int], list[str], int]:
    """Write the audit events of the chosen cases (COPY text format) and return every case's chain head."""
    n = len(col["id"])
    counts, heads = [0] * n, [GENESIS_HASH] * n
    isos = {k: _iso(col[k]) for k in RAW_EVENT_TIMES + ISO_ONLY_EVENT_TIMES}
    locals_ = {
        k: _iso_local(col[k]) for k in ("handling_due0", "handling_due_at", "sign_due_at", "next_due_at")
    }
    # The handling deadline after an approved extension (before any reopen).
    ext_due = _iso_local(np.where(col["extended"], col["handling_due1"], NULL))
    lists = {k: col[k].tolist() for k in EVENT_CASE_FIELDS + RAW_EVENT_TIMES}
    dept_codes = {dept_id: code for dept_id, code in ref.departments.values()}
    operator, dispatcher, supervisor = (
        ref.actors["operator"],
        ref.actors["dispatcher"],
        ref.actors["supervisor"],
    )
    chosen = np.flatnonzero(with_events).tolist()
    write = sink.write
    sha = hashlib.sha256
    event_id = next_event_id
    for i in chosen:
        case_id = lists["id"][i]
        prev, seq = GENESIS_HASH, 0
        state = None

        def emit(action, to_state, actor_id, role, at, reason, payload, case_id=case_id):
            nonlocal prev, seq, state, event_id
            seq += 1
            actor = "null" if actor_id is None else str(actor_id)
            reason_json = "null" if reason is None else f'"{reason}"'
            from_json = "null" if state is None else f'"{state}"'
            head = (
                f'[{case_id},{seq},"{action}",{from_json},"{to_state}",{actor},"{role}","{at}",'
                f"{reason_json},{payload}]"
            )
            digest = sha((prev + head).encode()).hexdigest()
            write(
                f"{event_id}\t{case_id}\t{seq}\t{action}\t{state or chr(92) + 'N'}\t{to_state}\t"
                f"{chr(92) + 'N' if actor_id is None else actor_id}\t{role}\t{at}\t"
                f"{chr(92) + 'N' if reason is None else reason}\t{payload}\t{prev}\t{digest}\n"
            )
            prev, state = digest, to_state
            event_id += 1

        channel, kind = lists["channel"][i], lists["kind"][i]
        staff_intake = channel in ("phone", "visit", "letter")
        emit(
            "register",
            "registered",
            operator if staff_intake else None,
            "operator" if staff_intake else "citizen",
            isos["received_at"][i],
            None,
            f'{{"channel":"{channel}","kind":"{kind}"}}',
        )
        if lists["decided_at"][i] != NULL:
            decision, at = lists["decision"][i], isos["decided_at"][i]
            if decision == 0:
                emit(
                    "accept",
                    "accepted",
                    dispatcher,
                    "dispatcher",
                    at,
                    None,
                    f'{{"handling_due_at":"{locals_["handling_due0"][i]}"}}',
                )
            elif decision == 1:
                code = lists["rejection_code"][i]
                emit(
                    "reject",
                    "rejected",
                    dispatcher,
                    "dispatcher",
                    at,
                    REJECTION_REASONS[code],
                    f'{{"reason_code":{code}}}',
                )
            elif decision == 2:
                emit(
                    "transfer",
                    "transferred",
                    dispatcher,
                    "dispatcher",
                    at,
                    "不属于本平台职责，转交主管部门",
                    '{"to":"12345省级平台"}',
                )
            else:
                emit(
                    "merge",
                    "merged",
                    dispatcher,
                    "dispatcher",
                    at,
                    None,
                    f'{{"into":"QL-MERGED-{lists["merge_into"][i]}"}}',
                )
        dept = lists["department_id"][i]
        if dept != -1:
            handler = ref.actors[f"handler:{dept}"]
            emit(
                "assign",
                "assigned",
                dispatcher,
                "dispatcher",
                isos["assigned_at"][i],
                None,
                f'{{"department_code":"{dept_codes[dept]}","sign_due_at":"{locals_["sign_due_at"][i]}"}}',
            )
            if lists["signed_at"][i] != NULL:
                emit("sign", "in_progress", handler, "handler", isos["signed_at"][i], None, "{}")
            contacted, first_reply = lists["contacted_at"][i], lists["first_reply"][i]
            if contacted != NULL and contacted != first_reply and lists["signed_at"][i] != NULL:
                emit(
                    "contact",
                    "in_progress",
                    handler,
                    "handler",
                    isos["contacted_at"][i],
                    None,
                    f'{{"channel":"phone","contacted_at":"{isos["contacted_at"][i]}"}}',
                )
            if lists["extended"][i] and lists["extend_at"][i] < (
                first_reply if first_reply != NULL else 2**62
            ):
                days = lists["ext_days"][i]
                emit(
                    "extend",
                    "in_progress",
                    handler,
                    "handler",
                    isos["extend_at"][i],
                    "需现场核查，申请延期",
                    f'{{"days":{days}}}',
                )
                emit(
                    "approve_extension",
                    "in_progress",
                    supervisor,
                    "supervisor",
                    isos["extend_at"][i],
                    None,
                    f'{{"days":{days},"handling_due_at":"{ext_due[i]}"}}',
                )
            rounds = [("first_reply", "first_feedback", "first_closed", "first_rating", "reopened_at")]
            if lists["reopen_count"][i]:
                rounds.append(
                    ("second_reply", "second_feedback", "second_closed", "second_rating", "second_rated_at")
                )
            for r, (rep, fb, cl, rating_key, _rated) in enumerate(rounds):
                if lists[rep][i] == NULL:
                    break
                mediated = lists["mediated"][i] and r == 0
                outcome = "unresolved" if mediated else lists["outcome"][i] or "resolved"
                loss = lists["loss"][i]
                loss_json = "null" if loss < 0 or r < len(rounds) - 1 else f'"{loss:.2f}"'
                emit(
                    "reply",
                    "replied",
                    None if mediated else handler,
                    "system" if mediated else "handler",
                    isos[rep][i],
                    "调解期限届满，终止调解" if mediated else None,
                    f'{{"loss_recovered":{loss_json},"outcome":"{outcome}"}}',
                )
                if lists[fb][i] == NULL:
                    break
                emit("feedback", "replied", operator, "operator", isos[fb][i], None, '{"channel":"phone"}')
                if lists[cl][i] == NULL:
                    break
                emit("close", "closed", operator, "operator", isos[cl][i], None, "{}")
                rating = lists[rating_key][i]
                rated_at = lists["first_rated_at"][i] if r == 0 else lists["second_rated_at"][i]
                if not rating or rated_at == NULL:
                    break
                resolved = "true" if lists["rated_resolved_p"][i] < 0.15 + 0.17 * rating else "false"
                at = isos["first_rated_at"][i] if r == 0 else isos["second_rated_at"][i]
                emit(
                    "rate",
                    "closed",
                    None,
                    "citizen",
                    at,
                    None,
                    f'{{"rating":{rating},"resolved":{resolved},"source":"self_service"}}',
                )
                if r == 0 and lists["reopen_count"][i]:
                    emit(
                        "reopen",
                        "in_progress",
                        None,
                        "citizen",
                        at,
                        "dissatisfied rating",
                        f'{{"handling_due_at":"{locals_["handling_due_at"][i]}","rating":{rating}}}',
                    )
        elif lists["decided_at"][i] != NULL and lists["decision"][i] in (1, 2):
            status = lists["status"][i]
            if lists["other_feedback"][i] != NULL:
                emit(
                    "feedback",
                    state,
                    operator,
                    "operator",
                    isos["other_feedback"][i],
                    None,
                    '{"channel":"phone"}',
                )
                if status == "closed":
                    emit("close", "closed", operator, "operator", isos["other_closed"][i], None, "{}")
        if lists["urge_count"][i]:
            stage = lists["status"][i]
            due = locals_["next_due_at"][i]
            emit(
                "urge",
                stage,
                None,
                "system",
                isos["urge_at"][i],
                "超过办理时限，系统自动督办",
                f'{{"auto":true,"due_at":"{due}","stage":"{stage}","urge_count":1}}',
            )
            if lists["sla_flag"][i] == "escalated":
                emit(
                    "escalate",
                    stage,
                    None,
                    "system",
                    isos["escalate_at"][i],
                    "督办后仍超期，升级至主管",
                    f'{{"after_wd":2,"auto":true,"due_at":"{due}","stage":"{stage}"}}',
                )
        counts[i], heads[i] = seq, prev
    return counts, heads, event_id


def _psycopg_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


SECONDARY = ("cases", "case_events")


def _drop_secondary_indexes(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
        "AND indexname NOT LIKE 'pk_%%' AND indexname NOT LIKE 'uq_%%'",
        (list(SECONDARY),),
    ).fetchall()
    for name, _ in rows:
        conn.execute(f'DROP INDEX "{name}"')
    # Foreign keys are checked row by row during COPY; the generator guarantees them, so they go too.
    fks = conn.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
        (list(SECONDARY),),
    ).fetchall()
    for table, name, _ in fks:
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    return [definition for _, definition in rows] + [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition} NOT VALID'
        for table, name, definition in fks
    ]


def load_cases(url: str, ref: Reference, n: int, seed: int = 20260101, log=print) -> dict:
    """Generate n cases (and their events) into the database at `url` with COPY; returns timings."""
    clock = Clock(ref)
    now = int(time.time()) // 60 * 60
    pool = merchants(n, ref.regions, np.random.default_rng(seed))
    started = time.perf_counter()
    timings = {"generate_s": 0.0, "events_s": 0.0, "copy_s": 0.0}
    totals = {"cases": 0, "events": 0, "cases_with_events": 0, "open": 0}
    with psycopg.connect(_psycopg_url(url), autocommit=False) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute("SET synchronous_commit = off")
        recreate = _drop_secondary_indexes(conn)
        conn.commit()
        event_id = 1
        recent = now - 30 * DAY
        for first in range(1, n + 1, CHUNK):
            size = min(CHUNK, n - first + 1)
            t0 = time.perf_counter()
            col = draw_cases(ref, clock, first, size, n, now, seed + first, pool)
            open_ = ~np.isin(col["status"], ["closed", "merged"])
            with_events = (
                np.ones(size, dtype=bool)
                if n <= EVENTS_FULL_UP_TO
                else (open_ | (col["received_at"] >= recent))
            )
            t1 = time.perf_counter()
            sink = io.StringIO()
            counts, heads, next_id = build_events(col, ref, with_events, event_id, sink)
            t2 = time.perf_counter()
            frame = case_frame(col, pool, (counts, heads))
            buffer = io.BytesIO()
            frame.write_csv(buffer, include_header=False, datetime_format="%Y-%m-%d %H:%M:%S", null_value="")
            t3 = time.perf_counter()
            with conn.cursor() as cur:
                with cur.copy(f"COPY cases ({', '.join(CASE_COLUMNS)}) FROM STDIN (FORMAT csv)") as copy:
                    copy.write(buffer.getbuffer())
                with cur.copy(
                    "COPY case_events (id, case_id, seq, action, from_state, to_state, actor_id, actor_role, "
                    "at, reason, payload, prev_hash, hash) FROM STDIN"
                ) as copy:
                    copy.write(sink.getvalue().encode())
            conn.commit()
            t4 = time.perf_counter()
            timings["generate_s"] += (t1 - t0) + (t3 - t2)
            timings["events_s"] += t2 - t1
            timings["copy_s"] += t4 - t3
            totals["cases"] += size
            totals["events"] += next_id - event_id
            totals["cases_with_events"] += int(with_events.sum())
            totals["open"] += int(open_.sum())
            event_id = next_id
            log(
                f"  {first + size - 1:,} cases, {event_id - 1:,} events "
                f"({time.perf_counter() - started:.0f} s)"
            )
        t5 = time.perf_counter()
        conn.execute("SET maintenance_work_mem = '512MB'")
        for statement in recreate:
            conn.execute(statement)
            conn.commit()
        for table in ("cases", "case_events"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        conn.commit()
        timings["indexes_s"] = time.perf_counter() - t5
    t6 = time.perf_counter()
    with psycopg.connect(_psycopg_url(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE cases")
        conn.execute("VACUUM ANALYZE case_events")
    timings["vacuum_analyze_s"] = time.perf_counter() - t6
    timings["total_s"] = time.perf_counter() - started
    return {
        **totals,
        **{k: round(v, 1) for k, v in timings.items()},
        "now": datetime.fromtimestamp(now, UTC).isoformat(),
    }


# --- survey responses -------------------------------------------------------------------------------------

N_DISTRICT, N_AGE, N_SEX = 16, 6, 2
COMMUNITIES_PER_DISTRICT, POP_COMMUNITIES = 100, 400


def survey_responses(n: int, seed: int = 20240601) -> dict[str, np.ndarray]:
    """Province satisfaction survey: design codes, base weights, five 1-5 items (latent-factor driven)."""
    rng = np.random.default_rng(seed)
    district = rng.choice(N_DISTRICT, size=n, p=rng.dirichlet(np.full(N_DISTRICT, 8.0)))
    age = rng.choice(N_AGE, size=n, p=[0.10, 0.18, 0.22, 0.20, 0.17, 0.13])
    sex = rng.integers(0, N_SEX, size=n)
    community = district * COMMUNITIES_PER_DISTRICT + rng.integers(0, COMMUNITIES_PER_DISTRICT, size=n)
    base = (7_000_000 / n) * rng.lognormal(0.0, 0.35, size=n) * (1 + 0.3 * (age == 0))
    latent = rng.normal(0, 1, n) + 0.1 * (district % 4) - 0.05 * age
    items = np.clip(np.rint(3.6 + 0.8 * latent[:, None] + rng.normal(0, 0.7, (n, 5))), 1, 5)
    return {
        "district": district,
        "age": age,
        "sex": sex,
        "community": community,
        "base": base,
        "items": items,
        "fpc": np.full(n, float(POP_COMMUNITIES)),
    }
