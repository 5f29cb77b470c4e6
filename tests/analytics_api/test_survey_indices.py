"""Survey indices through the API: every number against a direct numpy recomputation from the raw answers
(unweighted, post-stratified, raked, by group), small-cell suppression, response rates, files, roles."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import numpy as np
import pytest
from openpyxl import load_workbook

from core.clock import travel_to
from core.db import db
from surveys.services import definitions, invitations, responses
from tests.analytics_api.conftest import local
from tests.analytics_api.survey_fixtures import choice, definition, likert, publish, scores, store, t_crit

SLUG = "test-index"
URL = f"/api/v1/analytics/surveys/{SLUG}/index"
OCTOBER = "from=2026-10-01&to=2026-11-01"
AGES = ["18-29", "30-39", "40-49", "50-59", "60+"]
MARGINS = {
    "sex": {"female": 600.0, "male": 400.0},
    "age_group": {"18-29": 150.0, "30-39": 200.0, "40-49": 250.0, "50-59": 250.0, "60+": 150.0},
}
QUESTIONS = [
    choice("sex", ["female", "male"], attribute="sex"),
    choice("age_group", AGES, attribute="age_group"),
    likert("s1", construct="satisfaction", indicator="SAT"),
    {
        "code": "s2",
        "type": "scale10",
        "required": True,
        "text": {"zh-CN": "s2"},
        "construct": "satisfaction",
        "indicator": "SAT",
    },
    likert("q1", construct="perceived_quality", indicator="PQ", reverse=True, dont_know=True),
    {"code": "comment", "type": "text", "text": {"zh-CN": "意见"}},
]
BY_CODE = {question["code"]: question for question in QUESTIONS}


def survey_body(**extra):
    weighting = {"margins": MARGINS} | extra.pop("weighting", {})
    return definition(*QUESTIONS, weighting=weighting, targets=[{"indicator": "SAT", "value": 50}], **extra)


def answers(n_female: int = 40, n_male: int = 20, seed: int = 7) -> list[dict]:
    """Known random answers; every fifth man skips nothing, one in ten says don't know to q1."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_female + n_male):
        male = i >= n_female
        rows.append(
            {
                "sex": "male" if male else "female",
                "age_group": AGES[i % 5],
                "s1": int(rng.integers(1, 6)) if not male else int(rng.integers(2, 6)),
                "s2": int(rng.integers(1, 11)),
                "q1": "dont_know" if rng.random() < 0.1 else int(rng.integers(1, 6)),
            }
        )
    return rows


@pytest.fixture()
def sample(ctx):
    publish(SLUG, survey_body())
    rows = answers()
    store(SLUG, rows, "2026-10-15 10:00")
    return rows


def get(client, org, query: str = "", url: str = URL, user: str = "analyst", expect: int = 200):
    response = client.get(f"{url}?{OCTOBER}{query}", headers=org.auth(user))
    assert response.status_code == expect, response.json
    return response


def rows_of(body: dict, key: str = "all") -> dict:
    group = next(g for g in body["groups"] if g["key"] == key)
    return {(r["kind"], r["code"]): r for r in group["indices"]}


def check(row: dict, est: float, se: float, df: int, n: int, w: np.ndarray) -> None:
    """Estimate, SE, clipped t CI, n, Kish effective n and design effect of one index row."""
    assert row["estimate"] == pytest.approx(est, abs=1e-9)
    assert row["se"] == pytest.approx(se, rel=1e-9)
    assert row["ci_low"] == pytest.approx(max(0.0, est - t_crit(df) * se), rel=1e-9)
    assert row["ci_high"] == pytest.approx(min(100.0, est + t_crit(df) * se), rel=1e-9)
    assert row["n"] == n
    assert row["effective_n"] == pytest.approx(w.sum() ** 2 / (w**2).sum(), rel=1e-9)
    assert row["deff"] == pytest.approx(n * (w**2).sum() / w.sum() ** 2, rel=1e-9)
    assert row["suppressed"] is False


def test_unweighted_indices_equal_the_direct_formulas(client, org, sample):
    body = get(client, org).json
    assert body["responses"] == 60 and body["weighting"] == {"method": "none"}
    got = rows_of(body)
    # Satisfaction: each respondent's mean of s1, s2 on 0-100; mean, SE = s / sqrt(n), t(n-1).
    y = scores(sample, ["s1", "s2"], BY_CODE)
    check(got[("construct", "satisfaction")], y.mean(), y.std(ddof=1) / np.sqrt(60), 59, 60, np.ones(60))
    assert got[("indicator", "SAT")]["estimate"] == got[("construct", "satisfaction")]["estimate"]
    assert got[("indicator", "SAT")]["target"]["status"] == "met"
    # Perceived quality (q1 reversed): a domain of those who did not say "don't know"; linearised
    # domain variance on the full sample: V = n/(n-1) sum_d ((y - ybar_d) / n_d)^2, df = n_d - 1.
    q = scores(sample, ["q1"], BY_CODE)
    d = np.isfinite(q)
    n_d, yd = int(d.sum()), q[d]
    se = np.sqrt(60 / 59 * np.sum(((yd - yd.mean()) / n_d) ** 2))
    assert 40 < n_d < 60
    check(got[("construct", "perceived_quality")], yd.mean(), se, n_d - 1, n_d, np.ones(n_d))
    assert got[("construct", "satisfaction")]["name_zh"] == "满意度"


def test_poststratified_indices_equal_the_direct_formulas(client, org, sample):
    body = get(client, org, "&weighting=poststratify&poststrata=sex").json
    assert body["weighting"]["method"] == "poststratify" and body["weighting"]["margins"] == ["sex"]
    sex = np.array([r["sex"] for r in sample])
    n_h = {h: int((sex == h).sum()) for h in ("female", "male")}
    w = np.array([MARGINS["sex"][h] / n_h[h] for h in sex])
    y = scores(sample, ["s1", "s2"], BY_CODE)
    est = np.sum(w * y) / w.sum()
    # Calibration residuals: e_i = w_i (y_i - ybar_h) / N; V = n/(n-1) sum e_i^2 (they sum to 0).
    ybar_h = {h: y[sex == h].mean() for h in n_h}
    e = w * (y - np.array([ybar_h[h] for h in sex])) / 1000.0
    check(rows_of(body)[("construct", "satisfaction")], est, np.sqrt(60 / 59 * np.sum(e**2)), 59, 60, w)

    # By sex, each group is a post-stratum: the estimate is its mean and the scores of the others are 0.
    grouped = get(client, org, "&weighting=poststratify&group_by=sex").json
    for h in n_h:
        yh = y[sex == h]
        se = np.sqrt(60 / 59 * np.sum(((yh - yh.mean()) / n_h[h]) ** 2))
        row = rows_of(grouped, h)[("construct", "satisfaction")]
        if n_h[h] >= 30:
            check(row, yh.mean(), se, n_h[h] - 1, n_h[h], w[sex == h])


def ipf(columns: dict[str, np.ndarray], margins: dict, cycles: int = 200) -> np.ndarray:
    """Textbook raking: multiply each category's weights by target / current total, margin by margin."""
    w = np.ones(len(next(iter(columns.values()))))
    for _ in range(cycles):
        for name, totals in margins.items():
            for level, total in totals.items():
                mask = columns[name] == level
                w[mask] *= total / w[mask].sum()
    return w


def test_raked_indices_equal_a_textbook_raking(client, org, sample):
    body = get(client, org, "&weighting=raking").json
    report = body["weighting"]
    assert report["method"] == "raking" and report["calibration"]["converged"] is True
    assert report["margins"] == ["sex", "age_group"] and report["population_total"] == pytest.approx(1000)
    columns = {name: np.array([r[name] for r in sample]) for name in ("sex", "age_group")}
    w = ipf(columns, MARGINS)
    y = scores(sample, ["s1", "s2"], BY_CODE)
    row = rows_of(body)[("construct", "satisfaction")]
    assert row["estimate"] == pytest.approx(np.sum(w * y) / w.sum(), abs=1e-8)
    assert row["effective_n"] == pytest.approx(w.sum() ** 2 / (w**2).sum(), rel=1e-8)
    assert row["deff"] == pytest.approx(60 * (w**2).sum() / w.sum() ** 2, rel=1e-8)


def test_trimming_defined_by_the_survey_caps_the_weights(client, org, ctx, monkeypatch):
    publish(SLUG, survey_body(weighting={"trim_upper": 3.0}))
    rows = answers(n_female=50, n_male=10)
    store(SLUG, rows, "2026-10-15 10:00")
    monkeypatch.setitem(ctx.config, "ANALYTICS_MIN_CELL", 5)
    body = get(client, org, "&weighting=poststratify&poststrata=sex").json
    assert body["weighting"]["trimming"] == {
        "upper": 3.0,
        "relative_to": "median",
        "trimmed": 10,
        "converged": True,
    }
    # Post-stratified: women 600 / 50 = 12, men 400 / 10 = 40. Cap 3 x median 12 = 36 on the men; the
    # 40 cut off is spread over the women pro rata: (1000 - 10 x 36) / 50 = 12.8 each.
    w = np.array([40.0 if r["sex"] == "male" else 12.0 for r in rows])
    w = np.where(w == 40.0, 36.0, 12.8)
    y = scores(rows, ["s1", "s2"], BY_CODE)
    row = rows_of(body)[("construct", "satisfaction")]
    assert row["estimate"] == pytest.approx(np.sum(w * y) / w.sum(), abs=1e-9)
    assert row["effective_n"] == pytest.approx(w.sum() ** 2 / (w**2).sum(), rel=1e-9)


def test_small_cells_are_suppressed_below_the_minimum(client, org, ctx, monkeypatch, sample):
    body = get(client, org, "&group_by=sex").json
    assert body["min_cell"] == 30
    male = rows_of(body, "male")[("construct", "satisfaction")]
    assert male["suppressed"] is True and male["n"] == 20
    assert male["estimate"] is None and male["se"] is None and male["ci_low"] is None
    assert male["reason"] == "n=20 is below the minimum of 30"
    female = rows_of(body, "female")[("construct", "satisfaction")]
    sex = np.array([r["sex"] for r in sample])
    y = scores(sample, ["s1", "s2"], BY_CODE)[sex == "female"]
    # A domain of the unweighted sample: V = n/(n-1) sum_d ((y - ybar_d) / n_d)^2.
    check(female, y.mean(), np.sqrt(60 / 59 * np.sum(((y - y.mean()) / 40) ** 2)), 39, 40, np.ones(40))

    text = get(client, org, "&group_by=sex&format=csv").data.decode("utf-8")
    suppressed = [r for r in csv.reader(io.StringIO(text[1:])) if r[0] == "male"]
    assert suppressed and all(r[4] == "" and r[14].startswith("n=") for r in suppressed)

    monkeypatch.setitem(ctx.config, "ANALYTICS_MIN_CELL", 20)
    male = rows_of(get(client, org, "&group_by=sex").json, "male")[("construct", "satisfaction")]
    assert male["suppressed"] is False and male["estimate"] is not None


def test_periods_are_local_days_and_group_by_month(client, org, ctx):
    publish(SLUG, survey_body())
    row = {"sex": "female", "age_group": "30-39", "s1": 4, "s2": 8, "q1": 2}
    for when in ("2026-09-30 23:30", "2026-10-01 00:10", "2026-10-31 23:59", "2026-11-01 00:00"):
        store(SLUG, [row], when)
    assert get(client, org).json["responses"] == 2
    response = client.get(f"{URL}?from=2026-09-01&to=2026-12-01&group_by=month", headers=org.auth("analyst"))
    counts = {g["key"]: g["responses"] for g in response.json["groups"]}
    assert counts == {"2026-09": 1, "2026-10": 2, "2026-11": 1}
    quarters = client.get(
        f"{URL}?from=2026-09-01&to=2026-12-01&group_by=quarter", headers=org.auth("analyst")
    )
    assert {g["key"]: g["responses"] for g in quarters.json["groups"]} == {"2026-Q3": 1, "2026-Q4": 3}


def invite(survey, district: str, sent: str, answer: bool, answered: str | None = None):
    """An SMS invitation sent at `sent` (local), answered completely at `answered` when `answer`."""
    with travel_to(local(sent)):
        invitation, token = invitations.new_invitation(
            survey,
            local(sent) + timedelta(days=30),
            channel="sms",
            contact="13912345678",
            attributes={"district": district},
        )
        invitation.sent_at = local(sent)
        db.session.commit()
    if answer:
        with travel_to(local(answered or sent) + timedelta(hours=2)):
            responses.submit_invited_response(
                token,
                {
                    "sex": "male",
                    "age_group": "40-49",
                    "s1": 5,
                    "s2": 9,
                    "q1": 1,
                    "comment": "我是张三，住五四路1号",
                },
            )


def test_response_rate_is_completed_over_invitations_sent(client, org, ctx):
    survey, _version = publish(SLUG, survey_body())
    for i in range(6):  # Gulou: 6 sent in October, 3 answered
        invite(survey, "350102", "2026-10-10 09:00", answer=i < 3)
    for i in range(4):  # Taijiang: 4 sent in October, 1 answered (in November: the cohort counts it)
        invite(survey, "350103", "2026-10-20 09:00", answer=i < 1, answered="2026-11-02 09:00")
    invite(survey, "350102", "2026-09-20 09:00", answer=True)  # sent before the period: not in the cohort
    rate = get(client, org).json["groups"][0]["response_rate"]
    assert rate == {"value": 4 / 10, "completed": 4, "sent": 10, "reason": None}
    by_region = {g["key"]: g["response_rate"] for g in get(client, org, "&group_by=region").json["groups"]}
    assert by_region["350102"]["value"] == 0.5
    # Taijiang's answer came in November, so it has no respondent in October; its rate is still known.
    assert "350103" not in by_region

    publish("open-only", survey_body())
    url = "/api/v1/analytics/surveys/open-only/index"
    open_rate = get(client, org, url=url).json["groups"][0]["response_rate"]
    assert open_rate["value"] is None and open_rate["reason"].startswith("open link")


def test_bad_requests(client, org, ctx, sample):
    publish("no-margins", definition(likert("a", construct="satisfaction", indicator="SAT")))
    unweightable = get(
        client, org, "&weighting=raking", url="/api/v1/analytics/surveys/no-margins/index", expect=422
    )
    assert "weighting" in unweightable.json["errors"]
    assert get(client, org, "&group_by=colour", expect=422).json["errors"]["group_by"]
    assert get(client, org, "&weighting=poststratify&poststrata=district", expect=422).json["errors"]
    assert get(client, org, "&version=9", expect=404).json["code"] == 404
    assert get(client, org, url="/api/v1/analytics/surveys/nothing/index", expect=404).json["code"] == 404
    bad_period = client.get(f"{URL}?from=2026-10-02&to=2026-10-01", headers=org.auth("analyst"))
    assert bad_period.status_code == 422


def test_index_files(client, org, sample):
    response = get(client, org, "&format=xlsx&weighting=raking")
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.data)).active
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["全部", "类型", "代码", "名称", "指数（0–100）"]
    assert header[8:12] == ["样本量", "有效样本量（Kish）", "设计效应", "应答率"]
    assert sheet.freeze_panes == "A2"
    rows = {(r[1].value, r[2].value): r for r in sheet.iter_rows(min_row=2)}
    sat = rows[("构念", "satisfaction")]
    json_row = rows_of(get(client, org, "&weighting=raking").json)[("construct", "satisfaction")]
    assert sat[4].value == pytest.approx(json_row["estimate"]) and sat[4].number_format == "0.00"
    assert sat[8].value == 60 and sat[8].number_format == "0"
    assert rows[("指标代码", "SAT")][13].value == "达标"
    text = get(client, org, "&format=csv").data.decode("utf-8")
    assert text.startswith("\ufeff全部,类型,代码,名称")


def test_sector_pools_surveys_by_effective_n(client, org, ctx):
    body_a = definition(likert("a", construct="satisfaction", indicator="SAT"), sector="government")
    body_b = definition(likert("b", construct="satisfaction", indicator="GOV-SAT"), sector="government")
    publish("gov-a", body_a)
    publish("gov-b", body_b)
    a = [{"a": v} for v in [5, 4, 4, 3, 5, 2, 4, 4, 5, 3] * 4]
    b = [{"b": v} for v in [3, 3, 4, 2, 1, 4, 3, 5, 2, 3, 4] * 3]
    store("gov-a", a, "2026-10-03 10:00")
    store("gov-b", b, "2026-10-04 10:00")
    body = get(client, org, url="/api/v1/analytics/sectors/government/index").json
    assert [s["survey"] for s in body["surveys"]] == ["gov-a", "gov-b"]
    [pooled] = body["indices"]
    ya = (np.array([r["a"] for r in a]) - 1) * 25.0
    yb = (np.array([r["b"] for r in b]) - 1) * 25.0
    weights = np.array([ya.size, yb.size]) / (ya.size + yb.size)  # unweighted: Kish n_eff = n
    ses = np.array([ya.std(ddof=1) / np.sqrt(ya.size), yb.std(ddof=1) / np.sqrt(yb.size)])
    est = weights @ np.array([ya.mean(), yb.mean()])
    se = np.sqrt(np.sum(weights**2 * ses**2))
    assert pooled["estimate"] == pytest.approx(est) and pooled["se"] == pytest.approx(se)
    assert pooled["ci_low"] == pytest.approx(est - 1.959963984540054 * se)
    assert pooled["n"] == 73
    assert get(client, org, url="/api/v1/analytics/sectors/nowhere/index", expect=422).json["errors"][
        "sector"
    ]
    sheet = load_workbook(
        io.BytesIO(get(client, org, "&format=xlsx", url="/api/v1/analytics/sectors/government/index").data)
    ).active
    assert [c.value for c in sheet[1]][:4] == ["问卷", "构念代码", "构念", "指数（0–100）"]


ENDPOINTS = (
    URL,
    f"/api/v1/analytics/surveys/{SLUG}/model",
    "/api/v1/analytics/sectors/public_services/index",
)


@pytest.mark.parametrize("url", ENDPOINTS)
@pytest.mark.parametrize(
    "user, status",
    [("analyst", 200), ("supervisor", 200), ("admin", 200), ("handler", 403), ("operator", 403)],
)
def test_roles(client, org, sample, url, user, status):
    response = client.get(f"{url}?{OCTOBER}&bootstrap=0", headers=org.auth(user))
    assert response.status_code == status
    assert client.get(f"{url}?{OCTOBER}").status_code == 401


def test_the_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for url in ("/api/v1/analytics/surveys/{slug}/index", "/api/v1/analytics/surveys/{slug}/model"):
        names = {p["name"] for p in paths[url]["get"]["parameters"]}
        assert {"from", "to", "format"} <= names
        assert paths[url]["get"]["security"] == [{"bearerAuth": []}]


PLANTED = ("13912345678", "zhang.san@example.com", "张三", "五四路")


def _all_text(response) -> str:
    if response.mimetype.endswith("sheet"):
        book = load_workbook(io.BytesIO(response.data))
        return " ".join(str(c.value) for s in book.worksheets for row in s.iter_rows() for c in row)
    return response.data.decode("utf-8")


def test_no_personal_data_in_any_output(client, org, ctx, monkeypatch, sample):
    survey, _version = definitions.get_public_survey(SLUG)
    for _ in range(3):
        invite(survey, "350102", "2026-10-10 09:00", answer=True)
    with travel_to(local("2026-10-12 09:00")):
        invitation, token = invitations.new_invitation(
            survey, local("2026-11-30 00:00"), channel="email", contact="zhang.san@example.com"
        )
        invitation.sent_at = local("2026-10-12 09:00")
        db.session.commit()
        responses.submit_invited_response(
            token,
            {"sex": "female", "age_group": "60+", "s1": 1, "s2": 1, "q1": 5, "comment": "张三 13912345678"},
        )
    monkeypatch.setitem(ctx.config, "ANALYTICS_MIN_CELL", 2)
    queries = [
        (URL, "&group_by=region"),
        (URL, "&group_by=sex&weighting=raking"),
        (f"/api/v1/analytics/surveys/{SLUG}/model", "&bootstrap=0"),
        ("/api/v1/analytics/sectors/public_services/index", ""),
    ]
    for url, query in queries:
        for file_format in ("json", "csv", "xlsx"):
            response = get(client, org, f"{query}&format={file_format}", url=url)
            text = _all_text(response)
            assert not [p for p in PLANTED if p in text], (url, file_format)
