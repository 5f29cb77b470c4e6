"""Hot-spot API on a planted spike: exactly the planted units are flagged, every number is recomputed
independently from the inserted rows, files have Chinese headers, and no personal data leaks."""

from __future__ import annotations

import csv
import hashlib
import io
import unicodedata
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from openpyxl import load_workbook

from analytics.stats import bh_qvalues, excess_count_test
from tests.analytics_api.hotspot_data import (
    BASELINE_MONTHS,
    BUSINESS_A,
    BUSINESS_G,
    PLANTED,
    TARGET,
    build_hotspot_data,
)

URL = "/api/v1/analytics/hotspots"
URLS = (URL, f"{URL}/businesses", f"{URL}/monthly-problems")
MONTH = "month=2026-09"
SHANGHAI = ZoneInfo("Asia/Shanghai")
MONTHS = [*BASELINE_MONTHS, TARGET]


@pytest.fixture()
def data(org):
    return build_hotspot_data()


def _get(client, org, url, user="analyst"):
    response = client.get(url, headers=org.auth(user))
    assert response.status_code == 200, response.json
    return response


def _local_month(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date().replace(day=1)


def _month_days(month: date) -> float:
    nxt = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return float((nxt - month).days)


def _exposures(rows) -> list[float]:
    """Days of data in each baseline month: the first starts at the first counted case."""
    first = min(r["received_at"] for r in rows)
    days = [_month_days(m) for m in BASELINE_MONTHS]
    october = datetime(2025, 10, 1, tzinfo=SHANGHAI)
    days[0] = (october - first).total_seconds() / 86400
    return days


def _respondent_key(row) -> str | None:
    if row["respondent_credit_code"]:
        return row["respondent_credit_code"]
    if row["respondent_name"]:
        return "".join(unicodedata.normalize("NFKC", row["respondent_name"]).split()).casefold()
    return None


KEYS = {
    "category": lambda r: r["category_code"],
    "region": lambda r: r["region_code"],
    "respondent": _respondent_key,
    "cell": lambda r: (r["category_code"], r["region_code"]),
}


def _expected_tests(rows, dimension: str) -> dict:
    """{unit: (observed, p, q, method)} recomputed from the rows with the documented test."""
    counts: dict = defaultdict(lambda: np.zeros(13))
    for row in rows:
        month = _local_month(row["received_at"])
        key = KEYS[dimension](row)
        if month in MONTHS and key is not None:
            counts[key][MONTHS.index(month)] += 1
    units = sorted(counts, key=str)
    exposures = _exposures(rows)
    tests = [excess_count_test(int(counts[u][-1]), counts[u][:-1], 30.0, exposures) for u in units]
    q = bh_qvalues([t.p_value for t in tests])
    return {
        u: (t.observed, t.p_value, q[i], t.method) for i, (u, t) in enumerate(zip(units, tests, strict=True))
    }


def test_planted_category_spike_is_the_only_flag_and_the_noisy_unit_goes_negative_binomial(client, org, data):
    body = _get(client, org, f"{URL}?{MONTH}&dimension=category").json
    items = {item["key"]: item for item in body["items"]}
    assert [k for k, item in items.items() if item["flagged"]] == ["G0101"]
    steady, noisy = items["G0101"], items["G0102"]
    assert (steady["method"], steady["name"]) == ("poisson", "电热水壶及小家电")
    assert steady["observed"] == 8 + 24 + 1  # regular, planted, and 31 Aug 17:00 UTC (1 Sep local)
    assert noisy["observed"] == 32 and noisy["method"] == "negative_binomial" and not noisy["flagged"]
    # The same raw rise over the same baseline mean (8 a month): only the steady unit's is a signal.
    assert steady["q_value"] < 1e-4 < 0.05 < noisy["q_value"]
    assert body["units_tested"] == 6 and body["flagged"] == 1
    assert body["period"]["baseline"]["periods_with_data"] == 12 and body["period"]["exposure_days"] == 30
    assert [item["q_value"] for item in body["items"]] == sorted(item["q_value"] for item in body["items"])

    expected = _expected_tests(data.counted(), "category")
    assert set(items) == set(expected)
    for key, (observed, p, q, method) in expected.items():
        item = items[key]
        assert (item["observed"], item["method"]) == (observed, method), key
        assert item["p_value"] == pytest.approx(p, rel=1e-9) and item["q_value"] == pytest.approx(q, rel=1e-9)


def test_planted_district_spike_is_the_only_flag(client, org, data):
    body = _get(client, org, f"{URL}?{MONTH}&dimension=region").json
    items = {item["key"]: item for item in body["items"]}
    assert [k for k, item in items.items() if item["flagged"]] == ["350104"]
    assert items["350104"]["name"] == "仓山区"
    assert items["350105"]["method"] == "negative_binomial" and not items["350105"]["flagged"]
    for key, (observed, p, _, _) in _expected_tests(data.counted(), "region").items():
        assert items[key]["observed"] == observed and items[key]["p_value"] == pytest.approx(p, rel=1e-9)


def test_respondents_by_credit_code_or_normalised_name(client, org, data):
    body = _get(client, org, f"{URL}?{MONTH}&dimension=respondent&limit=5000").json
    items = {item["key"]: item for item in body["items"]}
    assert items[BUSINESS_A]["flagged"] and items[BUSINESS_A]["name"] == "福州市某某电器商行"
    assert not items[BUSINESS_G]["flagged"]
    # Three spellings of one stall without a credit code are one respondent.
    stall = items["某某水果店"]
    assert stall["observed"] == 3 and stall["name"] in ("某某水果店", "某某 水果店", "某某\u3000水果店 ")
    expected = _expected_tests(data.counted(), "respondent")
    assert set(items) == set(expected)
    for key, (observed, p, q, _) in expected.items():
        assert items[key]["observed"] == observed
        assert items[key]["p_value"] == pytest.approx(p, rel=1e-9) and items[key]["q_value"] == pytest.approx(
            q, rel=1e-9
        )
    assert body["items"][0]["key"] == BUSINESS_A


def test_from_to_periods_use_equal_windows(client, org, data):
    body = _get(client, org, f"{URL}?from=2026-09-01&to=2026-10-01&baseline_periods=6").json
    windows = body["period"]["baseline"]["windows"]
    assert body["period"]["unit"] == "days" and len(windows) == 6
    assert all(w["exposure_days"] == 30 for w in windows)
    assert (
        windows[-1]["to"] == "2026-09-01T00:00:00+08:00" and windows[0]["from"] == "2026-03-05T00:00:00+08:00"
    )
    assert [i["key"] for i in body["items"] if i["flagged"]] == ["G0101"]


def test_a_baseline_too_short_is_reported_not_tested(client, org, data):
    # Data start in Sep 2025: October 2025 has one baseline month with data, too few to test.
    body = _get(client, org, f"{URL}?month=2025-10").json
    assert body["period"]["baseline"]["testable"] is False
    assert body["period"]["baseline"]["periods_with_data"] == 1
    assert body["flagged"] == 0 and all(i["p_value"] is None and i["method"] is None for i in body["items"])
    assert sum(i["observed"] for i in body["items"]) > 100


def test_the_default_period_is_this_month_so_far(client, org, data):
    body = _get(client, org, URL).json
    today = datetime.now(UTC).astimezone(SHANGHAI).date()
    assert body["period"]["from"] == today.replace(day=1).isoformat()
    assert 0 < body["period"]["exposure_days"] <= 31


def _expected_businesses(rows) -> list[dict]:
    """The businesses table recomputed row by row; complainants compared by a hash of the mobile."""
    by_code: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        if row["respondent_credit_code"]:
            by_code[row["respondent_credit_code"]].append(row)
    last_12 = set(MONTHS[1:])
    result = []
    for code, cases in by_code.items():
        in_month = [r for r in cases if _local_month(r["received_at"]) == TARGET]
        if not in_month:
            continue

        def person(row):
            return hashlib.sha256(row["complainant_mobile"].encode()).hexdigest()

        repeats = sum(
            any(person(p) == person(r) and p["received_at"] < r["received_at"] for p in cases)
            for r in in_month
        )
        rated = [r for r in in_month if r["rating"] is not None]
        satisfied = sum(r["rating"] in (4, 5) for r in rated)
        names = Counter(r["respondent_name"] for r in in_month)
        result.append(
            {
                "credit_code": code,
                "name": min(names.items(), key=lambda kv: (-kv[1], kv[0]))[0],
                "cases": len(in_month),
                "complainants": len({person(r) for r in in_month}),
                "repeat_cases": repeats,
                "repeat_rate": pytest.approx(repeats / len(in_month), abs=1e-6),
                "active_months": len({_local_month(r["received_at"]) for r in cases} & last_12),
                "rated": len(rated),
                "satisfied": satisfied,
                "satisfaction_rate": pytest.approx(satisfied / len(rated), abs=1e-6) if rated else None,
            }
        )
    result.sort(key=lambda b: (-b["cases"], b["credit_code"]))
    return result


def test_businesses_match_an_independent_recomputation(client, org, data):
    body = _get(client, org, f"{URL}/businesses?{MONTH}&limit=10").json
    expected = _expected_businesses(data.counted())
    assert body["items"] == expected[:10]
    # G (all of G0102, 32 in Sep) has the most cases, then A.
    assert [b["credit_code"] for b in body["items"][:2]] == [BUSINESS_G, BUSINESS_A]
    top = body["items"][1]
    # A's 24 Sep cases: 3 from the planted mobile (2 repeats), 21 from six mobiles, 4x mobiles 3-5
    # (3 repeats each), 3x mobiles 0-2 (2 each, but mobile 0 complained in June: 3). Active: Jun, Sep.
    assert (top["credit_code"], top["cases"], top["complainants"]) == (BUSINESS_A, 24, 7)
    assert (top["repeat_cases"], top["active_months"]) == (2 + 9 + 3 + 4, 2)


def _expected_problems(rows, min_count: int) -> list[tuple]:
    tests = _expected_tests(rows, "cell")
    in_month = [r for r in rows if _local_month(r["received_at"]) == TARGET]
    cells = {cell: t for cell, t in tests.items() if t[0] >= min_count}
    largest = max(t[0] for t in cells.values())
    scored = []
    for cell, (observed, p, _, _) in cells.items():
        cases = [r for r in in_month if (r["category_code"], r["region_code"]) == cell]
        rated = [r for r in cases if r["rating"] is not None]
        bad = sum(r["rating"] in (1, 2) for r in rated)
        repeats = sum(
            any(
                p_["complainant_mobile"] == r["complainant_mobile"]
                and (p_["category_code"], p_["region_code"]) == cell
                and p_["received_at"] < r["received_at"]
                for p_ in rows
            )
            for r in cases
        )
        score = (
            0.4 * observed / largest
            + 0.3 * min(1.0, -np.log10(p) / 3)
            + 0.15 * (bad / len(rated) if rated else 0.0)
            + 0.15 * repeats / observed
        )
        scored.append((cell, observed, score))
    scored.sort(key=lambda c: (-c[2], -c[1], c[0]))
    return scored


def test_monthly_problems_are_scored_as_documented(client, org, data):
    body = _get(client, org, f"{URL}/monthly-problems?{MONTH}&limit=8").json
    expected = _expected_problems(data.counted(), 5)[:8]
    got = [((i["category_code"], i["region_code"]), i["observed"], i["score"]) for i in body["items"]]
    assert [g[:2] for g in got] == [e[:2] for e in expected]
    for g, e in zip(got, expected, strict=True):
        assert g[2] == pytest.approx(e[2], abs=1e-5)
    assert [i["rank"] for i in body["items"]] == list(range(1, 9))
    assert body["weights"] == {"volume": 0.4, "growth": 0.3, "dissatisfaction": 0.15, "repeat": 0.15}
    assert all(i["observed"] >= 5 for i in body["items"])


def _sheet(response):
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    return load_workbook(io.BytesIO(response.data)).active


def test_excel_files_have_chinese_headers_frozen_and_formatted(client, org, data):
    sheet = _sheet(_get(client, org, f"{URL}?{MONTH}&dimension=region&format=xlsx"))
    header = [c.value for c in sheet[1]]
    assert header == [
        "区划代码", "区域", "本期件数", "基线期望件数", "比值",
        "p 值", "q 值", "检验方法", "离散指数", "突增热点",
    ]  # fmt: skip
    assert sheet.freeze_panes == "A2"
    first = [c for c in sheet[2]]
    assert (first[0].value, first[1].value, first[9].value) == ("350104", "仓山区", "是")
    assert first[7].value in ("泊松", "负二项")
    assert (
        first[2].number_format == "0"
        and first[3].number_format == "0.00"
        and first[4].number_format == "0.00"
    )
    assert isinstance(first[5].value, float) and first[5].value < 1e-4

    sheet = _sheet(_get(client, org, f"{URL}/businesses?{MONTH}&format=xlsx"))
    assert [c.value for c in sheet[1]] == [
        "统一社会信用代码", "被投诉方", "本期件数", "投诉人数", "重复投诉件数", "重复投诉率",
        "近12个月有投诉的月数", "已评价件数", "满意率",
    ]  # fmt: skip
    assert sheet.freeze_panes == "A2"
    row = [c for c in sheet[3]]
    assert row[0].value == BUSINESS_A and row[5].number_format == "0.00%" and row[8].number_format == "0.00%"
    assert row[2].number_format == "0" and row[2].value == 24

    sheet = _sheet(_get(client, org, f"{URL}/monthly-problems?{MONTH}&format=xlsx"))
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["排名", "类别代码", "类别", "区划代码", "区域"] and header[-1] == "综合得分"
    assert sheet.freeze_panes == "A2"
    row = [c for c in sheet[2]]
    assert row[0].value == 1 and row[14].number_format == "0.00%" and row[16].number_format == "0.00"


def test_csv_files(client, org, data):
    text = _get(client, org, f"{URL}/businesses?{MONTH}&format=csv").data.decode("utf-8")
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text[1:])))
    assert table[0][:3] == ["统一社会信用代码", "被投诉方", "本期件数"]
    assert table[2][0] == BUSINESS_A and table[2][2] == "24"
    text = _get(client, org, f"{URL}?{MONTH}&format=csv").data.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][:2] == ["类别代码", "类别"] and table[1][0] == "G0101" and len(table) == 7


def _every_output(client, org) -> str:
    chunks = []
    queries = [f"{URL}?{MONTH}&dimension={d}&limit=5000" for d in ("category", "respondent", "region")]
    queries += [
        f"{URL}/businesses?{MONTH}&limit=500",
        f"{URL}/monthly-problems?{MONTH}&limit=100&min_count=1",
    ]
    for query in queries:
        for file_format in ("json", "csv", "xlsx"):
            response = _get(client, org, f"{query}&format={file_format}")
            if file_format == "xlsx":
                sheet = load_workbook(io.BytesIO(response.data)).active
                chunks.extend(str(c.value) for row in sheet.iter_rows() for c in row)
            else:
                chunks.append(response.data.decode("utf-8"))
    return "\n".join(chunks)


def test_no_personal_data_in_any_output(client, org, data):
    output = _every_output(client, org)
    assert BUSINESS_A in output and "G0101" in output  # the planted cases are reported on
    for secret in PLANTED.values():
        assert secret not in output, secret
    assert "测试人" not in output  # every complainant's name
    mobiles = {r["complainant_mobile"] for r in data.rows}
    assert not [m for m in mobiles if m in output]
    assert not [
        hashlib.sha256(m.encode()).hexdigest()
        for m in mobiles
        if hashlib.sha256(m.encode()).hexdigest() in output
    ]


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize(
    "user, status",
    [
        ("analyst", 200),
        ("supervisor", 200),
        ("admin", 200),
        ("handler", 403),
        ("operator", 403),
        ("dispatcher", 403),
    ],
)
def test_roles(client, org, url, user, status):
    response = client.get(f"{url}?{MONTH}", headers=org.auth(user))
    assert response.status_code == status
    assert client.get(f"{url}?{MONTH}").status_code == 401


@pytest.mark.parametrize(
    "query, field",
    [
        ("month=2026-13", "month"),
        ("month=26-09", "month"),
        ("month=2026-9", "month"),
        ("month=2026-09&from=2026-09-01&to=2026-10-01", "month"),
        ("from=2026-09-01", "to"),
        ("to=2026-09-01", "from"),
        ("from=2026-09-10&to=2026-09-01", "to"),
        ("from=2025-01-01&to=2026-09-01", "to"),
        ("from=1900-01-01&to=1900-02-01", "from"),
        ("month=2099-01", "month"),
        ("month=2026-09&alpha=0", "alpha"),
        ("month=2026-09&alpha=1.5", "alpha"),
        ("month=2026-09&alpha=abc", "alpha"),
        ("month=2026-09&dimension=street", "dimension"),
        ("month=2026-09&baseline_periods=1", "baseline_periods"),
        ("month=2026-09&min_count=0", "min_count"),
        ("month=2026-09&format=pdf", "format"),
    ],
)
def test_bad_queries_are_422_naming_the_field(client, org, query, field):
    response = client.get(f"{URL}?{query}", headers=org.auth("analyst"))
    assert response.status_code == 422 and field in response.json["errors"], response.json


def test_the_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for url in URLS:
        operation = paths[url]["get"]
        assert operation["security"] == [{"bearerAuth": []}]
        assert {p["name"] for p in operation["parameters"]} >= {"month", "from", "to", "format"}
    assert {p["name"] for p in paths[URL]["get"]["parameters"]} >= {"dimension", "alpha", "baseline_periods"}


def test_demo_hotspot_command_adds_a_shop_with_repeat_complainants(client, org, app):
    result = app.test_cli_runner().invoke(args=["analytics", "demo-hotspot", "--cases", "12"])
    assert result.exit_code == 0 and "福州市仓山区某某电器商行" in result.output, result.output
    body = _get(client, org, f"{URL}/businesses").json
    shop = body["items"][0]
    # 12 complaints from six citizens: each one's second complaint is a repeat.
    assert (shop["cases"], shop["complainants"], shop["repeat_cases"]) == (12, 6, 6)
