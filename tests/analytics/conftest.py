"""Fixtures for the analytics statistics tests: the shared reference data sets.

The reference data (R survey's api samples, R plspm's satisfaction outputs) live outside the repo;
``reference_data_dir`` finds them through QUALITYLINE_REFERENCE_DATA, defaulting to the sibling
../shared/data of the repository.  Missing data fail the run loudly instead of skipping tests.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pytest

DEFAULT_REFERENCE_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def reference_data_dir() -> Path:
    """Directory holding api_survey/ and ecsi_mobile/ (env QUALITYLINE_REFERENCE_DATA or ../shared/data)."""
    path = Path(os.environ.get("QUALITYLINE_REFERENCE_DATA", DEFAULT_REFERENCE_DATA))
    needed = [path / "api_survey" / "apistrat.csv", path / "ecsi_mobile" / "satisfaction.csv"]
    missing = [str(p) for p in needed if not p.is_file()]
    if missing:
        pytest.fail(
            "reference data for the statistics tests not found: "
            + ", ".join(missing)
            + ". Set QUALITYLINE_REFERENCE_DATA to the folder holding api_survey/ and ecsi_mobile/.",
            pytrace=False,
        )
    return path


def read_csv(path: Path) -> dict[str, np.ndarray]:
    """Columns of a CSV as arrays: numeric where every value parses, else strings ('NA' -> nan/None)."""
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    out: dict[str, np.ndarray] = {}
    for key in rows[0]:
        raw = [r[key] for r in rows]
        try:
            out[key] = np.array([np.nan if v == "NA" else float(v) for v in raw])
        except ValueError:
            out[key] = np.array([None if v == "NA" else v for v in raw], dtype=object)
    return out


def read_r_table(path: Path) -> dict[str, dict[str, str]]:
    """CSV keyed by its first column (R's row names): {row name: {column: text}}."""
    with path.open(newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        return {row[0]: dict(zip(header[1:], row[1:], strict=True)) for row in reader}


@pytest.fixture(scope="session")
def read_table():
    """The CSV reader for R output tables (row names in the first column)."""
    return read_r_table


@pytest.fixture(scope="session")
def reference_data() -> Path:
    return reference_data_dir()


@pytest.fixture(scope="session")
def apistrat(reference_data: Path) -> dict[str, np.ndarray]:
    return read_csv(reference_data / "api_survey" / "apistrat.csv")


@pytest.fixture(scope="session")
def apiclus1(reference_data: Path) -> dict[str, np.ndarray]:
    return read_csv(reference_data / "api_survey" / "apiclus1.csv")


@pytest.fixture(scope="session")
def ecsi_dir(reference_data: Path) -> Path:
    return reference_data / "ecsi_mobile"


@pytest.fixture(scope="session")
def satisfaction(ecsi_dir: Path) -> dict[str, np.ndarray]:
    data = read_csv(ecsi_dir / "satisfaction.csv")
    return {k: v for k, v in data.items() if k not in ("", "gender")}


SATISFACTION_PATHS = [
    ("IMAG", "EXPE"),
    ("IMAG", "SAT"),
    ("IMAG", "LOY"),
    ("EXPE", "QUAL"),
    ("EXPE", "VAL"),
    ("EXPE", "SAT"),
    ("QUAL", "VAL"),
    ("QUAL", "SAT"),
    ("VAL", "SAT"),
    ("SAT", "LOY"),
]


@pytest.fixture(scope="session")
def satisfaction_model(satisfaction):
    """(data, blocks, paths) of the ECSI satisfaction model as in the plspm reference run."""
    blocks = {
        lv: [k for k in satisfaction if k.startswith(lv.lower())]
        for lv in ("IMAG", "EXPE", "QUAL", "VAL", "SAT", "LOY")
    }
    return satisfaction, blocks, SATISFACTION_PATHS


@pytest.fixture(scope="session")
def pls_centroid(satisfaction_model):
    from analytics.stats import pls_pm

    data, blocks, paths = satisfaction_model
    return pls_pm(data, blocks, paths, scaled=False, scheme="centroid", scale_ends=(0, 10))
