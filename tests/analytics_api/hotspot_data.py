"""A year of baseline cases plus a target month (Sep 2026) with planted spikes, inserted in bulk.

Design (cases per local month; "big" categories S1401, S0401, P01, P02 have 10 per district a month in
the four districts 350102, 350103, 350104, 350111: Poisson noise in the baseline, exactly 10 in Sep
before the changes below):
- category spike: G0101 has a steady 6-10 a month (2 per district round-robin), then 8 + 24 planted in
  Sep, the 24 in 350102, 350103, 350111 (8 each) and all against business A;
- district spike: 350104 gets 40 planted cases in Sep, +10 in each big category, and the other three
  districts get 10 fewer of each big category (4, 3, 3): the categories' totals do not move;
- noisy unit: G0102, only in district 350105 and against business G, has a baseline of mean 8 that
  bursts to 25-30 in three months, then 32 in Sep: the same raw rise (+24) as G0101;
- not counted: merged duplicates, inquiries and praise in G0101 / 350104 in Sep;
- a 17:00 UTC case on 31 Aug is 1 Sep in Shanghai (counts in Sep); 16:30 UTC on 30 Sep is October;
- three spellings of one respondent without a credit code replace three regular S1401 cases in 350103.
Personal data (PLANTED) sits on spike cases, which all outputs report on.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import insert, select

from complaints.models import Case
from complaints.validators import credit_code_check_char
from core.db import db

SHANGHAI = ZoneInfo("Asia/Shanghai")
TARGET = date(2026, 9, 1)
BASELINE_MONTHS = [date(2025 + (8 + i) // 12, (8 + i) % 12 + 1, 1) for i in range(12)]  # Sep 2025 .. Aug 2026
DISTRICTS = ["350102", "350103", "350104", "350111"]
SEP_BIG = {"350102": 6, "350103": 7, "350104": 20, "350111": 7}  # big-category cases per cell in Sep
NOISY_DISTRICT = "350105"
BIG = ["S1401", "S0401", "P01", "P02"]
STEADY = [7, 9, 8, 8, 6, 10, 8, 9, 7, 8, 9, 7]  # G0101, variance below the mean
NOISY = [0, 30, 0, 0, 25, 0, 1, 0, 28, 0, 12, 0]  # G0102, mean 8 with bursts
PLANTED = {
    "complainant_name": "王秘密",
    "complainant_mobile": "13912345678",
    "complainant_email": "secret@example.com",
    "address": "秘密路88号",
    "respondent_address": "被投诉方秘密地址9号",
    "description": "投诉人住址隐私描述",
    "title": "秘密标题",
}


def credit_code(seed: str) -> str:
    """A valid GB 32100 code built from a 9-character seed."""
    body = "91350100" + seed
    return body + credit_code_check_char(body)


BUSINESS_A = credit_code("MA0000001")
BUSINESS_G = credit_code("MA0000007")
OTHER_BUSINESSES = [credit_code(f"MB{i:07d}") for i in range(1, 16)]
FRUIT_STALL_SPELLINGS = ["某某水果店", "某某 水果店", "某某\u3000水果店 "]  # one respondent without a code


@dataclass
class HotspotData:
    """The inserted rows (as dicts) for independent recomputation in the tests."""

    rows: list[dict] = field(default_factory=list)

    def counted(self) -> list[dict]:
        """Rows that count: problem kinds, not merged duplicates."""
        return [
            r
            for r in self.rows
            if r["kind"] in ("complaint", "report", "help", "suggestion") and not r.get("duplicate")
        ]


class _Builder:
    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.data = HotspotData()
        self.mobiles = [f"13{i:09d}" for i in range(100000000, 100000400)]
        self.planted_region = False

    def moment(self, month: date) -> datetime:
        """A random local moment in the month, unique to the microsecond."""
        next_month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        days = (next_month - month).days
        local = datetime(month.year, month.month, month.day, tzinfo=SHANGHAI) + timedelta(
            seconds=float(self.rng.uniform(0, days * 86400 - 1)),
            microseconds=len(self.data.rows),
        )
        return local.astimezone(UTC)

    def add(self, when: datetime, category: str, region: str, **extra) -> dict:
        kind = extra.pop("kind", "complaint")
        row = {
            "received_at": when,
            "kind": kind,
            "category_code": category,
            "region_code": region,
            "respondent_credit_code": None,
            "respondent_name": None,
            "complainant_mobile": self.mobiles[int(self.rng.integers(len(self.mobiles)))],
            "rating": None,
            **extra,
        }
        if category[0] in "GS" and "respondent_credit_code" not in extra and "respondent_name" not in extra:
            code = OTHER_BUSINESSES[int(self.rng.integers(len(OTHER_BUSINESSES)))]
            row["respondent_credit_code"], row["respondent_name"] = code, f"福州市某某商行{code[-4:]}"
        if row["rating"] is None and self.rng.random() < 0.4:
            row["rating"] = int(self.rng.choice([1, 2, 3, 4, 5], p=[0.1, 0.1, 0.2, 0.3, 0.3]))
        self.data.rows.append(row)
        return row

    def month(self, month: date, index: int | None) -> None:
        """One month of regular cases; index into STEADY/NOISY, None for the target month (see doc)."""
        for category in BIG:
            for region in DISTRICTS:
                n = int(self.rng.poisson(10)) if index is not None else SEP_BIG[region]
                if index is None and (category, region) == ("S1401", "350103"):
                    n -= len(FRUIT_STALL_SPELLINGS)
                for _ in range(n):
                    personal = (
                        PLANTED if index is None and region == "350104" and not self.planted_region else {}
                    )
                    self.planted_region = self.planted_region or bool(personal)
                    self.add(self.moment(month), category, region, **personal)
        steady = 8 if index is None else STEADY[index]
        for i in range(steady):
            self.add(self.moment(month), "G0101", DISTRICTS[i % 4])
        for _ in range(32 if index is None else NOISY[index]):
            business = {"respondent_credit_code": BUSINESS_G, "respondent_name": "福州市某某食品有限公司"}
            self.add(self.moment(month), "G0102", NOISY_DISTRICT, **business)

    def spikes(self) -> None:
        a_mobiles = self.mobiles[:6]  # A's complainants come back: repeats
        business_a = {"respondent_credit_code": BUSINESS_A, "respondent_name": "福州市某某电器商行"}
        # One of A's complainants already complained in June.
        self.add(
            self.moment(date(2026, 6, 1)), "G0101", "350102", complainant_mobile=a_mobiles[0], **business_a
        )
        for i in range(24):
            region = ["350102", "350103", "350111"][i % 3]
            # The first three carry the planted personal data (one mobile: two of them are repeats).
            who = PLANTED if i < 3 else {"complainant_mobile": a_mobiles[i % 6]}
            self.add(self.moment(TARGET), "G0101", region, **business_a, **who, is_confidential=i == 1)

    def noise_not_counted(self) -> None:
        for _ in range(6):
            self.add(self.moment(TARGET), "G0101", "350104", duplicate=True)
            self.add(self.moment(TARGET), "G0101", "350104", kind="inquiry")
            self.add(self.moment(TARGET), "P01", "350104", kind="praise")

    def edges(self) -> None:
        self.add(datetime(2026, 8, 31, 17, 0, tzinfo=UTC), "G0101", "350102")  # 1 Sep 01:00 local
        self.add(datetime(2026, 9, 30, 16, 30, tzinfo=UTC), "G0101", "350102")  # 1 Oct 00:30 local
        for spelling in FRUIT_STALL_SPELLINGS:
            self.add(self.moment(TARGET), "S1401", "350103", respondent_name=spelling)


def _case_row(row: dict, index: int, duplicate_of: int | None) -> dict:
    received = row["received_at"]
    return {
        "tracking_code": f"QL-HS-{index:08d}-{secrets.token_hex(3)}",
        "access_key_hash": "0" * 64,
        "kind": row["kind"],
        "channel": "web",
        "hotline": "12315",
        "category_code": row["category_code"],
        "region_code": row["region_code"],
        "title": row.get("title", "热点测试"),
        "description": row.get("description", "热点测试案件"),
        "address": row.get("address"),
        "respondent_name": row["respondent_name"],
        "respondent_credit_code": row["respondent_credit_code"],
        "respondent_address": row.get("respondent_address"),
        "complainant_name": row.get("complainant_name", "测试人"),
        "complainant_mobile": row["complainant_mobile"],
        "complainant_email": row.get("complainant_email"),
        "is_confidential": row.get("is_confidential", False),
        "status": "merged" if duplicate_of else "registered",
        "duplicate_of_id": duplicate_of,
        "policy_version": 1,
        "received_at": received,
        "acceptance_due_at": received + timedelta(days=7),
        "rating": row["rating"],
        "rated_at": received + timedelta(days=20) if row["rating"] else None,
    }


def build_hotspot_data(seed: int = 2026) -> HotspotData:
    """Insert the design above (about 2,500 cases) and return the rows."""
    builder = _Builder(seed)
    for index, month in enumerate(BASELINE_MONTHS):
        builder.month(month, index)
    builder.month(TARGET, None)
    builder.spikes()
    builder.noise_not_counted()
    builder.edges()
    rows = builder.data.rows
    db.session.execute(
        insert(Case), [_case_row(r, i, None) for i, r in enumerate(rows) if not r.get("duplicate")]
    )
    original = db.session.scalar(select(Case.id).order_by(Case.id).limit(1))
    db.session.execute(
        insert(Case), [_case_row(r, i, original) for i, r in enumerate(rows) if r.get("duplicate")]
    )
    db.session.commit()
    return builder.data
