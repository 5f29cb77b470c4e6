"""The statistics package's public surface: fixed names, docstrings, no web/database imports."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

import analytics.stats as stats

FIXED = [
    "poststratify",
    "rake",
    "trim_weights",
    "kish_effective_n",
    "weighted_mean",
    "weighted_total",
    "construct_index",
    "pls_pm",
    "cronbach_alpha",
    "ahp_weights",
    "entropy_weights",
]


def test_fixed_public_names_exist_with_formula_docstrings():
    for name in FIXED:
        fn = getattr(stats, name)
        doc = inspect.getdoc(fn) or ""
        assert "=" in doc, f"{name}'s docstring states no formula"
        assert re.search(r"(19|20)\d\d", doc), f"{name}'s docstring gives no reference"
    for name in stats.__all__:
        assert inspect.getdoc(getattr(stats, name)), f"{name} has no docstring"


def test_weighted_mean_takes_design_and_calibration_arguments(apistrat):
    res = stats.weighted_mean(
        apistrat["api00"],
        apistrat["pw"],
        strata=apistrat["stype"],
        psu=None,
        fpc=apistrat["fpc"],
        calibration=None,
    )
    assert res.n == 200


def test_import_pulls_in_neither_flask_nor_sqlalchemy():
    root = Path(__file__).resolve().parents[2]
    code = (
        "import sys; import analytics.stats; "
        "roots = {'flask', 'sqlalchemy', 'flask_sqlalchemy'}; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in roots); "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
