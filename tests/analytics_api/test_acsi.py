"""The ACSI/CCSI model endpoint: the satisfaction survey of R plspm loaded as real survey responses must give
plspm's published paths, R^2, AVE, reliability and loadings; the indices and quadrants are recomputed from
plspm's outer weights and total effects; small samples and surveys without the structure are refused."""

from __future__ import annotations

import io

import numpy as np
import pytest
from openpyxl import load_workbook

from surveys.services import definitions
from tests.analytics.conftest import read_csv, read_r_table, reference_data_dir
from tests.analytics_api.survey_fixtures import definition, likert, publish, store

SLUG = "ecsi-bank"
URL = f"/api/v1/analytics/surveys/{SLUG}/model"
PERIOD = "from=2026-10-01&to=2026-11-01"
BLOCKS = {
    "imag": ("image", "IMAG"),
    "expe": ("expectation", "EXPE"),
    "qual": ("perceived_quality", "QUAL"),
    "val": ("perceived_value", "VAL"),
    "sat": ("satisfaction", "SAT"),
    "loy": ("loyalty", "LOY"),
}
R_NAME = {construct: r for construct, r in BLOCKS.values()}


def item(code: str) -> dict:
    construct, indicator = BLOCKS[code.rstrip("0123456789")]
    return {
        "code": code,
        "type": "scale11",
        "required": True,
        "text": {"zh-CN": code},
        "construct": construct,
        "indicator": indicator,
    }


@pytest.fixture()
def bank(ctx):
    """plspm's `satisfaction` data (250 bank customers, items 0-10) as responses to a survey."""
    data = read_csv(reference_data_dir() / "ecsi_mobile" / "satisfaction.csv")
    codes = [k for k in data if k not in ("", "gender")]
    publish(SLUG, definition(*[item(code) for code in codes]))
    rows = [{code: int(data[code][i]) for code in codes} for i in range(250)]
    store(SLUG, rows, "2026-10-20 10:00")
    return data


def model(client, org, query: str = "&bootstrap=30", expect: int = 200) -> dict:
    response = client.get(f"{URL}?{PERIOD}{query}", headers=org.auth("analyst"))
    assert response.status_code == expect, response.json
    return response.json


def test_paths_r2_and_reliability_reproduce_plspm(client, org, bank):
    body = model(client, org)
    ref_dir = reference_data_dir() / "ecsi_mobile"
    assert body["status"] == "ok" and body["n"] == 250 and body["excluded_incomplete"] == 0
    assert body["model"] | {"gof": None} == {
        "scheme": "centroid",
        "scaled": False,
        "bootstrap": 30,
        "seed": 0,
        "confidence": 0.95,
        "index_weights": "pls",
        "gof": None,
    }
    assert body["model"]["gof"] == pytest.approx(0.609741624338411, abs=1e-4)
    effects = read_r_table(ref_dir / "satisfaction.effects.csv")
    paths = {(p["from"], p["to"]): p for p in body["paths"]}
    assert len(paths) == 10
    for (a, b), path in paths.items():
        expected = float(effects[f"{R_NAME[a]} -> {R_NAME[b]}"]["direct"])
        assert path["coefficient"] == pytest.approx(expected, abs=1e-4), (a, b)
        assert path["ci_low"] <= path["ci_high"] and path["se"] > 0
    summary = read_r_table(ref_dir / "satisfaction.inner-summary.csv")
    unidim = read_r_table(ref_dir / "satisfaction_unidim.csv")
    for construct in body["constructs"]:
        r = R_NAME[construct["code"]]
        if summary[r]["type"] == "Endogenous":
            assert construct["r2"] == pytest.approx(float(summary[r]["r_squared"]), abs=1e-4)
        else:
            assert construct["r2"] is None
        assert construct["ave"] == pytest.approx(float(summary[r]["ave"]), abs=1e-4)
        assert construct["alpha"] == pytest.approx(float(unidim[r]["cronbach_alpha"]), abs=1e-4)
        assert construct["composite_reliability"] == pytest.approx(
            float(unidim[r]["dillon_goldstein_rho"]), abs=1e-4
        )
    outer = read_r_table(ref_dir / "satisfaction.outer-model.csv")
    for loading in body["loadings"]:
        assert loading["loading"] == pytest.approx(float(outer[loading["item"]]["loading"]), abs=1e-4)


def test_indices_and_quadrants_from_plspm_weights_and_effects(client, org, bank):
    body = model(client, org, "&bootstrap=0")
    ref_dir = reference_data_dir() / "ecsi_mobile"
    outer = read_r_table(ref_dir / "satisfaction.outer-model.csv")
    effects = read_r_table(ref_dir / "satisfaction.effects.csv")
    expected_index = {}
    for construct in body["constructs"]:
        items = construct["items"]
        w = np.array([float(outer[i]["weight"]) for i in items])
        means = np.array([bank[i].mean() for i in items])
        # ACSI: normalised unstandardised weights x item means, rescaled by the scale ends 0 and 10.
        expected_index[construct["code"]] = 100 * (w / w.sum()) @ means / 10
        assert construct["index"] == pytest.approx(expected_index[construct["code"]], abs=1e-4)
        assert construct["index_ci_low"] is None  # no bootstrap asked for
    importance = {
        c: float(effects[f"{R_NAME[c]} -> SAT"]["total"])
        for c in ("image", "expectation", "perceived_quality", "perceived_value")
    }
    i_cut, p_cut = np.mean(list(importance.values())), np.mean([expected_index[c] for c in importance])
    ipa = body["ipa"]
    assert ipa["importance_cut"] == pytest.approx(i_cut, abs=1e-4)
    assert ipa["performance_cut"] == pytest.approx(p_cut, abs=1e-4)
    names = {(True, True): "keep_up", (True, False): "concentrate_here"}
    names |= {(False, False): "low_priority", (False, True): "possible_overkill"}
    for point in ipa["points"]:
        c = point["code"]
        assert point["importance"] == pytest.approx(importance[c], abs=1e-4)
        assert point["quadrant"] == names[(importance[c] >= i_cut, expected_index[c] >= p_cut)]
    assert {p["code"] for p in ipa["points"]} == set(importance)


def test_bootstrap_is_reproducible_and_bounded(client, org, bank):
    first, again = model(client, org, "&bootstrap=20&seed=5"), model(client, org, "&bootstrap=20&seed=5")
    assert first["paths"] == again["paths"] and first["constructs"] == again["constructs"]
    sat = next(c for c in first["constructs"] if c["code"] == "satisfaction")
    assert sat["index_ci_low"] < sat["index"] < sat["index_ci_high"]
    assert sat["r2_ci_low"] < sat["r2"] < sat["r2_ci_high"]
    assert model(client, org, "&bootstrap=1001", expect=422)["errors"]["bootstrap"]


def test_not_enough_data_and_no_structure(client, org, ctx):
    publish(SLUG, definition(*[item(c) for c in ("imag1", "imag2", "sat1", "sat2")]))
    rng = np.random.default_rng(3)
    store(
        SLUG,
        [{c: int(rng.integers(0, 11)) for c in ("imag1", "imag2", "sat1", "sat2")} for _ in range(25)],
        "2026-10-05 09:00",
    )
    body = model(client, org)
    assert body["status"] == "not_enough_data" and body["n"] == 25 and body["min_n"] == 30
    assert body["message"] == "not enough data: 25 complete responses, the model needs 30"
    assert "paths" not in body

    definitions.seed_templates()
    response = client.get(
        f"/api/v1/analytics/surveys/hotline-callback/model?{PERIOD}", headers=org.auth("analyst")
    )
    assert response.status_code == 422 and "ACSI construct structure" in response.json["message"]

    publish("one-block", definition(likert("a", construct="satisfaction", indicator="SAT")))
    url = f"/api/v1/analytics/surveys/one-block/model?{PERIOD}"
    assert client.get(url, headers=org.auth("analyst")).status_code == 422


def test_skip_logic_items_and_dont_know_leave_the_model(client, org, ctx):
    complained = {"code": "complained", "type": "yes_no", "required": True, "text": {"zh-CN": "投诉过吗"}}
    cmp1 = item("sat9") | {"code": "cmp1", "construct": "complaint", "indicator": "CMP"}
    cmp1["show_if"] = {"question": "complained", "in": [True]}
    questions = [
        item("imag1"),
        item("imag2") | {"dont_know": True},
        item("sat1"),
        item("sat2"),
        complained,
        cmp1,
    ]
    publish(SLUG, definition(*questions))
    rng = np.random.default_rng(11)
    rows = []
    for i in range(60):
        mood = rng.normal()
        row = {
            c: int(np.clip(round(6 + 2 * mood + rng.normal()), 0, 10))
            for c in ("imag1", "imag2", "sat1", "sat2")
        }
        row["complained"] = i % 3 == 0
        if row["complained"]:
            row["cmp1"] = int(rng.integers(0, 11))
        if i % 10 == 0:
            row["imag2"] = "dont_know"
        rows.append(row)
    store(SLUG, rows, "2026-10-05 09:00")
    body = model(client, org, "&bootstrap=0")
    assert body["status"] == "ok" and body["n"] == 54 and body["excluded_incomplete"] == 6
    assert {"item": "cmp1", "reason": "asked only of some respondents (skip logic)"} in body["dropped"]
    assert [c["code"] for c in body["constructs"]] == ["image", "satisfaction"]


def test_model_files(client, org, bank):
    for table, header in (
        ("paths", ["路径起点", "路径终点", "路径系数", "自助法标准误", "95%置信下限", "95%置信上限", "p值"]),
        ("ipa", ["构念代码", "构念", "重要性（对满意度的总效应）", "表现（指数）", "象限"]),
        ("constructs", ["构念代码", "构念", "题目", "指数（0–100）"]),
        ("loadings", ["题目", "构念", "载荷", "外部权重"]),
    ):
        response = client.get(
            f"{URL}?{PERIOD}&bootstrap=0&format=xlsx&table={table}", headers=org.auth("analyst")
        )
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(response.data)).active
        assert [c.value for c in sheet[1]][: len(header)] == header
        assert sheet.freeze_panes == "A2"
    ipa = load_workbook(
        io.BytesIO(
            client.get(f"{URL}?{PERIOD}&bootstrap=0&format=xlsx&table=ipa", headers=org.auth("analyst")).data
        )
    ).active
    quadrants = {row[4].value for row in ipa.iter_rows(min_row=2)}
    assert quadrants <= {"继续保持区", "重点改进区", "次要改进区", "过度投入区"} and len(quadrants) >= 2
