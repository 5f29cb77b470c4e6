"""The indicator system through the API: admin CRUD with its checks and roles, aggregation with known weights
(fixed exact, AHP from a consistent matrix, entropy by hand), target status, change and trend tests, files,
and the default Fuzhou set."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from openpyxl import load_workbook
from scipy import stats

from surveys.services import definitions
from tests.analytics_api.survey_fixtures import definition, likert, publish, store
from tests.analytics_api.test_kpis import build_histories

URL = "/api/v1/analytics/indicators"
SURVEY = "ind-survey"
Z = 1.959963984540054
# Three months of known answers (Likert 1-5 -> 0-100 as 25 (x - 1)).
MONTHS = {
    "2026-08": {"s1": [3, 3, 4, 2, 3, 4, 3, 2], "q1": [4, 4, 5, 3, 4, 4, 3, 4]},
    "2026-09": {"s1": [4, 3, 4, 4, 3, 5, 4, 3], "q1": [3, 4, 4, 3, 4, 3, 4, 4]},
    "2026-10": {"s1": [5, 4, 4, 5, 4, 5, 3, 4], "q1": [4, 5, 4, 4, 3, 4, 4, 5]},
}


@pytest.fixture()
def survey(ctx, monkeypatch):
    monkeypatch.setitem(ctx.config, "ANALYTICS_MIN_CELL", 2)
    body = definition(
        likert("s1", construct="satisfaction", indicator="SAT"),
        likert("q1", construct="perceived_quality", indicator="PQ"),
        sector="consumer_services",
    )
    publish(SURVEY, body)
    for month, answers in MONTHS.items():
        rows = [{"s1": s, "q1": q} for s, q in zip(answers["s1"], answers["q1"], strict=True)]
        store(SURVEY, rows, f"{month}-15 10:00")


def index(month: str, code: str) -> tuple[float, float]:
    """The unweighted index of one item in a month and its SE s / sqrt(n), from the raw answers."""
    y = (np.array(MONTHS[month][code]) - 1) * 25.0
    return float(y.mean()), float(y.std(ddof=1) / math.sqrt(y.size))


def survey_part(code: str, **extra) -> dict:
    return {"source": "survey_index", "survey": SURVEY, "code": code, **extra}


def body(code: str, components: list[dict], **fields) -> dict:
    base = {
        "code": code,
        "name_zh": "测试指标",
        "target": 60.0,
        "attribute": "expected",
        "weighting": "fixed",
    }
    return base | {"components": components} | fields


def create(client, org, payload: dict, expect: int = 201, user: str = "admin") -> dict:
    response = client.post(URL, json=payload, headers=org.auth(user))
    assert response.status_code == expect, response.json
    return response.json


def evaluate(client, org, period: str, query: str = "", user: str = "analyst") -> dict:
    response = client.get(f"{URL}?period={period}{query}", headers=org.auth(user))
    assert response.status_code == 200, response.json
    return {item["code"]: item for item in response.json["items"]}


def test_admin_crud_and_roles(client, org, survey):
    payload = body("T-SAT", [survey_part("satisfaction", weight=1.0)], sector="consumer_services")
    created = create(client, org, payload)
    assert created["components"] == [
        {"source": "survey_index", "survey": SURVEY, "code": "satisfaction", "hotline": None, "weight": 1.0}
        | {"reverse": False}
    ]
    assert create(client, org, payload, expect=409)["errors"] == {"code": ["already taken"]}
    assert create(client, org, body("T-2", payload["components"]), expect=403, user="analyst")["code"] == 403
    for user in ("analyst", "supervisor", "admin"):
        assert client.get(f"{URL}/T-SAT", headers=org.auth(user)).json["attribute"] == "expected"
        assert client.get(f"{URL}?period=2026-10", headers=org.auth(user)).status_code == 200
    for user in ("handler", "operator", "dispatcher"):
        assert client.get(f"{URL}/T-SAT", headers=org.auth(user)).status_code == 403
        assert client.get(URL, headers=org.auth(user)).status_code == 403
    assert client.get(URL).status_code == 401 and client.get(f"{URL}/T-SAT").status_code == 401
    assert client.post(URL, json=payload).status_code == 401

    changed = {k: v for k, v in payload.items() if k != "code"} | {"target": 75.0, "attribute": "binding"}
    assert client.put(f"{URL}/T-SAT", json=changed, headers=org.auth("supervisor")).status_code == 403
    replaced = client.put(f"{URL}/T-SAT", json=changed, headers=org.auth("admin"))
    assert replaced.status_code == 200 and replaced.json["target"] == 75.0
    assert evaluate(client, org, "2026-10")["T-SAT"]["attribute_zh"] == "约束性"
    assert client.delete(f"{URL}/T-SAT", headers=org.auth("analyst")).status_code == 403
    assert client.delete(f"{URL}/T-SAT", headers=org.auth("admin")).status_code == 204
    assert client.get(f"{URL}/T-SAT", headers=org.auth("admin")).status_code == 404


INCONSISTENT = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]


@pytest.mark.parametrize(
    "components, extra, field, message",
    [
        (
            [survey_part("satisfaction", weight=0.5), survey_part("perceived_quality", weight=0.4)],
            {},
            "components",
            "weights must sum to 1 (they sum to 0.9)",
        ),
        (
            [{"source": "complaint_kpi", "code": "no_such_kpi", "weight": 1}],
            {},
            "components.0.code",
            "unknown KPI",
        ),
        (
            [{"source": "complaint_kpi", "code": "avg_handling_workdays", "weight": 1}],
            {},
            "components.0.code",
            "only rate KPIs",
        ),
        ([survey_part("loyalty", weight=1)], {}, "components.0.code", "unknown survey construct"),
        ([survey_part("satisfaction", weight=1) | {"survey": "nope"}], {}, "components.0.survey", "unknown"),
        (
            [survey_part("satisfaction"), survey_part("perceived_quality"), survey_part("SAT")],
            {"weighting": "ahp", "ahp_matrix": INCONSISTENT},
            "ahp_matrix",
            "consistency ratio CR = ",
        ),
        (
            [survey_part("satisfaction"), survey_part("perceived_quality")],
            {"weighting": "ahp", "ahp_matrix": [[1, 2, 3], [0.5, 1, 2], [1 / 3, 0.5, 1]]},
            "ahp_matrix",
            "2 x 2",
        ),
        (
            [survey_part("satisfaction", weight=0.5), survey_part("perceived_quality", weight=0.5)],
            {"weighting": "entropy"},
            "components",
            "leave component weights out",
        ),
        (
            [survey_part("satisfaction", weight=1, hotline="12345")],
            {},
            "components.0.hotline",
            "only complaint",
        ),
    ],
)
def test_bad_definitions_are_422(client, org, survey, components, extra, field, message):
    error = create(client, org, body("T-BAD", components, **extra), expect=422)
    assert message in error["errors"][field][0], error
    assert client.get(f"{URL}/T-BAD", headers=org.auth("admin")).status_code == 404


def test_bad_queries_are_422(client, org, survey):
    for query in ("period=2026-13", "period=26", "period=2026-Q5", "trend_periods=1", "format=pdf"):
        response = client.get(f"{URL}?{query}", headers=org.auth("analyst"))
        assert response.status_code == 422, query
    assert create(client, org, body("lower-case", [survey_part("satisfaction", weight=1)]), expect=422)[
        "errors"
    ]


def test_fixed_weights_aggregate_exactly_and_status(client, org, survey):
    build_histories(client, org)  # October: A rated 3 (not satisfied), C rated 4 (satisfied) -> 1 of 2
    parts = [
        survey_part("satisfaction", weight=0.6),
        {"source": "complaint_kpi", "code": "satisfaction_rate"},
    ]
    parts[1]["weight"] = 0.4
    create(client, org, body("T-MIX", parts))
    mix = evaluate(client, org, "2026-10")["T-MIX"]
    i, se_i = index("2026-10", "s1")
    k, se_k = 50.0, 100 * math.sqrt(0.5 * 0.5 / 2)
    value, se = 0.6 * i + 0.4 * k, math.sqrt(0.36 * se_i**2 + 0.16 * se_k**2)
    assert mix["value"] == pytest.approx(value) and mix["se"] == pytest.approx(se)
    assert (mix["ci_low"], mix["ci_high"]) == (pytest.approx(value - Z * se), pytest.approx(value + Z * se))
    assert [c["value"] for c in mix["components"]] == [pytest.approx(i), pytest.approx(k)]
    assert [c["se"] for c in mix["components"]] == [pytest.approx(se_i), pytest.approx(se_k)]
    assert [c["n"] for c in mix["components"]] == [8, 2]
    assert [c["weight_used"] for c in mix["components"]] == [0.6, 0.4]

    # The same components against targets below, above and inside the CI (68.75 -/+ 1.96 x 14.63).
    for code, target, direction in (
        ("T-MET", 30.0, "higher"),
        ("T-NOT", 99.0, "higher"),
        ("T-LOW", 99.0, "lower"),
    ):
        create(client, org, body(code, parts, target=target, direction=direction))
    create(client, org, body("T-INS", parts, target=round(value, 1)))
    items = evaluate(client, org, "2026-10")
    assert [items[c]["status"] for c in ("T-MET", "T-NOT", "T-INS", "T-LOW")] == [
        "met",
        "not_met",
        "indistinguishable",
        "met",
    ]
    assert items["T-INS"]["status_zh"] == "与目标无显著差异"


def test_complaint_kpi_indicators_hotline_and_the_100_percent_target(client, org, survey):
    build_histories(client, org)
    kpi = {"source": "complaint_kpi", "weight": 1.0}
    create(
        client, org, body("T-DONE", [kpi | {"code": "completion_rate"}], target=100.0, attribute="binding")
    )
    create(client, org, body("T-ONTIME", [kpi | {"code": "completion_on_time_rate"}], target=100.0))
    create(client, org, body("T-12345", [kpi | {"code": "satisfaction_rate", "hotline": "12345"}]))
    items = evaluate(client, org, "2026-09")
    # September: B (17 Sep) and C (30 Sep) due for reply; both replied, only B on time.
    done, on_time = items["T-DONE"], items["T-ONTIME"]
    assert done["value"] == 100.0 and done["status"] == "met" and done["attribute_zh"] == "约束性"
    low, high = wilson(1.0, 2)
    assert (done["ci_low"], done["ci_high"]) == (pytest.approx(100 * low), pytest.approx(100 * high))
    assert on_time["value"] == 50.0 and on_time["status"] == "not_met"
    assert on_time["se"] == pytest.approx(100 * math.sqrt(0.25 / 2))
    # Every case here came in on 12315: the 12345 indicator has no data.
    assert items["T-12345"]["status"] == "no_data" and items["T-12345"]["value"] is None
    assert items["T-12345"]["components"][0]["reason"] == "no cases in this KPI's population in the period"


def wilson(p: float, n: int) -> tuple[float, float]:
    """Wilson score interval (Wilson 1927) from its textbook formula."""
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z / (1 + Z**2 / n) * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n * n))
    return centre - half, centre + half


def test_ahp_weights_from_a_consistent_matrix(client, org, survey):
    # a_ij = w_i / w_j is perfectly consistent: the eigenvector is w itself, lambda_max = n, CR = 0.
    w = np.array([0.5, 0.3, 0.2])
    parts = [survey_part("satisfaction"), survey_part("perceived_quality"), survey_part("SAT")]
    created = create(client, org, body("T-AHP", parts, weighting="ahp", ahp_matrix=(w[:, None] / w).tolist()))
    assert created["ahp"]["weights"] == pytest.approx(w.tolist())
    assert created["ahp"]["lambda_max"] == pytest.approx(3.0)
    assert created["ahp"]["consistency_ratio"] == pytest.approx(0.0, abs=1e-12)
    item = evaluate(client, org, "2026-10")["T-AHP"]
    values = np.array([index("2026-10", "s1")[0], index("2026-10", "q1")[0], index("2026-10", "s1")[0]])
    ses = np.array([index("2026-10", "s1")[1], index("2026-10", "q1")[1], index("2026-10", "s1")[1]])
    assert item["value"] == pytest.approx(w @ values)
    assert item["se"] == pytest.approx(math.sqrt(np.sum(w**2 * ses**2)))
    assert item["weighting"]["method"] == "ahp"


def test_entropy_weights_computed_by_hand(client, org, survey):
    create(
        client,
        org,
        body("T-ENT", [survey_part("satisfaction"), survey_part("perceived_quality")], weighting="entropy"),
    )
    item = evaluate(client, org, "2026-10")["T-ENT"]
    # The matrix: the components' values in the last six months that have them all (Aug, Sep, Oct).
    assert item["weighting"] == {"method": "entropy", "periods": ["2026-08", "2026-09", "2026-10"]}
    x = np.array([[index(m, "s1")[0], index(m, "q1")[0]] for m in MONTHS])
    z = (x - x.min(axis=0)) / (x.max(axis=0) - x.min(axis=0))
    p = z / z.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    e = -plogp.sum(axis=0) / np.log(3)
    weights = (1 - e) / (1 - e).sum()
    assert [c["weight_used"] for c in item["components"]] == pytest.approx(weights.tolist())
    assert item["value"] == pytest.approx(weights @ x[-1])
    # September's window has two complete rows (Aug, Sep): enough; August's has one: no weights, no value.
    assert evaluate(client, org, "2026-09")["T-ENT"]["weighting"]["periods"] == ["2026-08", "2026-09"]
    august = evaluate(client, org, "2026-08")["T-ENT"]
    assert august["status"] == "no_data" and "need two periods" in august["reason"]


def test_change_and_trend_tests(client, org, survey):
    create(client, org, body("T-SAT", [survey_part("satisfaction", weight=1.0)]))
    item = evaluate(client, org, "2026-10", "&trend_periods=3")["T-SAT"]
    (v_aug, s_aug), (v_sep, s_sep), (v_oct, s_oct) = (index(m, "s1") for m in MONTHS)
    change = item["change"]
    z = (v_oct - v_sep) / math.hypot(s_oct, s_sep)
    assert change["previous_period"] == "2026-09" and change["previous_value"] == pytest.approx(v_sep)
    assert change["change"] == pytest.approx(v_oct - v_sep) and change["z"] == pytest.approx(z)
    assert change["p_value"] == pytest.approx(2 * stats.norm.sf(abs(z)))
    assert change["result"] == ("increase" if change["p_value"] < 0.05 else "no_significant_change")
    # WLS on x = 0, 1, 2 with weights 1 / SE^2: numpy's polyfit takes w = 1 / SE.
    x, y, s = np.arange(3.0), np.array([v_aug, v_sep, v_oct]), np.array([s_aug, s_sep, s_oct])
    slope, intercept = np.polyfit(x, y, 1, w=1 / s)
    w = 1 / s**2
    sxx = np.sum(w * (x - np.average(x, weights=w)) ** 2)
    phi = max(1.0, np.sum(w * (y - intercept - slope * x) ** 2) / 1)
    trend = item["trend"]
    assert [p["period"] for p in trend["periods"]] == list(MONTHS)
    assert trend["slope"] == pytest.approx(slope) and trend["slope_se"] == pytest.approx(math.sqrt(phi / sxx))
    assert trend["p_value"] == pytest.approx(2 * stats.t.sf(abs(slope) / math.sqrt(phi / sxx), 1))
    short = evaluate(client, org, "2026-09", "&trend_periods=3")["T-SAT"]["trend"]
    assert short["points"] == 2 and short["result"] == "not_available"


def test_indicator_files(client, org, survey):
    create(client, org, body("T-SAT", [survey_part("satisfaction", weight=1.0)], target=55.0))
    response = client.get(f"{URL}?period=2026-10&format=xlsx", headers=org.auth("analyst"))
    assert (
        response.status_code == 200
        and "indicators-indicators-2026-10.xlsx" in response.headers["Content-Disposition"]
    )
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in sheet[1]][:8] == [
        "指标代码",
        "指标名称",
        "属性",
        "周期",
        "单位",
        "目标值",
        "方向",
        "当前值",
    ]
    assert sheet.freeze_panes == "A2"
    row = list(sheet.iter_rows(min_row=2))[0]
    assert row[7].value == pytest.approx(index("2026-10", "s1")[0]) and row[7].number_format == "0.00"
    assert (row[2].value, row[4].value, row[11].value) == ("预期性", "分", "达标")
    components = client.get(f"{URL}?period=2026-10&format=xlsx&table=components", headers=org.auth("analyst"))
    sheet = load_workbook(io.BytesIO(components.data)).active
    assert [c.value for c in sheet[1]][:5] == ["指标代码", "周期", "序号", "来源", "分项"]
    assert list(sheet.iter_rows(min_row=2))[0][6].number_format == "0.00%"
    text = client.get(f"{URL}?period=2026-10&format=csv", headers=org.auth("analyst")).data.decode("utf-8")
    assert text.startswith("\ufeff指标代码,指标名称,属性")


def test_default_indicators_seed_once(ctx, client, org):
    runner = ctx.test_cli_runner()
    skipped = runner.invoke(args=["analytics", "seed-indicators"])
    assert "FZ-COMPLETION: created" in skipped.output and "FZ-CS-SAT: skipped" in skipped.output
    definitions.seed_templates()
    result = runner.invoke(args=["analytics", "seed-indicators"])
    assert result.exit_code == 0 and result.output.count(": created") == 4
    again = runner.invoke(args=["analytics", "seed-indicators"])
    assert again.output.count(": exists") == 7
    items = evaluate(client, org, "2026-10")
    assert set(items) == {
        "FZ-CS-SAT",
        "FZ-CS-SQI",
        "FZ-GOV-SAT",
        "FZ-12345-SAT",
        "FZ-COMPLETION",
        "FZ-HOTLINE-QI",
        "FZ-SQ-CSI",
    }
    assert items["FZ-COMPLETION"]["attribute"] == "binding" and items["FZ-GOV-SAT"]["attribute"] == "expected"
    assert items["FZ-CS-SQI"]["weighting"]["consistency_ratio"] < 0.1
