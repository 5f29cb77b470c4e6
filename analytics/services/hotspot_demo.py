"""Demo data for the hot-spot pages: a visible spike on top of `flask demo`'s cases.

`flask demo` spreads a few hundred cases over 60 days and 20 templates, so no unit stands out.  This
adds one realistic surge, registered through the citizen intake service at backdated moments: kettle
complaints (G0101) in 仓山区 against one appliance shop, from a handful of citizens who complain again.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from analytics.services.hotspot_periods import current_month, local_midnight
from complaints.models import Case
from complaints.services import intake
from complaints.validators import credit_code_check_char
from core.clock import travel_to, utcnow
from core.db import db

DEMO_SHOP = "福州市仓山区某某电器商行"
DEMO_SHOP_CODE_BODY = "91350104MA2Y0K3T0"  # 17 characters; the check character is computed
DEMO_DAYS = 10


def demo_shop_credit_code() -> str:
    """The shop's valid unified social credit code."""
    return DEMO_SHOP_CODE_BODY + credit_code_check_char(DEMO_SHOP_CODE_BODY)


def has_demo_hotspot() -> bool:
    """True when the demo shop already has complaints (so `make run` plants the spike once)."""
    found = db.session.scalar(
        select(Case.id).where(Case.respondent_credit_code == demo_shop_credit_code()).limit(1)
    )
    return found is not None


def plant_demo_hotspot(cases: int = 24, seed: int = 2026) -> str:
    """Register `cases` complaints about the demo shop in 仓山区 over the last days of this month so far."""
    rng = random.Random(seed)
    now = utcnow()
    first = max(now - timedelta(days=DEMO_DAYS), local_midnight(current_month()[0]))
    span = (now - first).total_seconds()
    mobiles = [f"1{rng.choice('3589')}{rng.randrange(10**9):09d}" for _ in range(6)]
    credit_code = demo_shop_credit_code()
    moments = sorted(first + timedelta(seconds=rng.uniform(0, span * 0.99)) for _ in range(cases))
    for i, moment in enumerate(moments):
        body = {
            "kind": "complaint",
            "channel": rng.choice(["web", "wechat", "app"]),
            "hotline": "12315",
            "category_code": "G0101",
            "region_code": "350104",
            "title": "电热水壶使用不久底座漏电",
            "description": "在该商行购买的同款电热水壶使用不久底座漏电，要求退货被拒绝。",
            "amount_involved": None,
            "respondent": {"name": DEMO_SHOP, "credit_code": credit_code},
            "complainant": {"name": "市民" + "甲乙丙丁戊己"[i % 6], "mobile": mobiles[i % 6]},
            "is_confidential": False,
        }
        with travel_to(moment):
            intake.submit_complaint(body)
    return credit_code
