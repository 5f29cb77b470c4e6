"""What the benchmarks share: a fresh, generated PostgreSQL database, a p50/p95 timer, the results files.

The scripts run as `python bench/<name>.py`, which puts this folder on sys.path, so they import it plainly.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import datagen  # bench/ is on sys.path when run
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core.app import create_app
from core.db import db


def recreate_database(url: str) -> None:
    """Drop and create the bench database named in `url` (connected through the `postgres` database)."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def timed(fn: Callable[[], object], repeat: int) -> dict[str, float]:
    """p50 and p95 in milliseconds of `repeat` calls of fn."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"p50_ms": statistics.median(samples), "p95_ms": samples[int(0.95 * (len(samples) - 1))]}


RESULTS = Path(__file__).parent / "results"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/qualityline_bench"


def parse_size(value: str) -> int:
    """10k, 1M, 10M or a plain number."""
    value = value.strip().lower().replace("_", "").replace(",", "")
    factor = {"k": 1_000, "m": 1_000_000}.get(value[-1:], 1)
    return int(float(value.rstrip("km")) * factor)


def size_label(n: int) -> str:
    """1000000 -> 1M, 10000 -> 10k."""
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def machine() -> dict:
    """The machine the figures come from: CPU, cores, memory, load average now."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024**2, 1),
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def write_result(measure: str, size: int, figures: dict) -> Path:
    """Merge one size's figures into bench/results/<measure>.json (every size of the last runs kept)."""
    path = RESULTS / f"{measure}.json"
    RESULTS.mkdir(exist_ok=True)
    data = json.loads(path.read_text()) if path.exists() else {}
    if "sizes" not in data:  # a file from before the scaling suite: start afresh
        data = {"measure": measure, "sizes": {}}
    data["sizes"][size_label(size)] = {"n": size, **figures, "machine": machine(), "at": _now()}
    data["sizes"] = dict(sorted(data["sizes"].items(), key=lambda item: item[1]["n"]))
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    return path


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def build_database(url: str, cases: int, log: Callable[[str], None] = print):
    """A fresh bench database with `cases` generated cases (bench/datagen.py); returns (app, load report)."""
    recreate_database(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        upgrade()
        ref = datagen.setup_reference()
        db.session.commit()
    log(f"generating {cases:,} cases into {make_url(url).database}")
    report = datagen.load_cases(url, ref, cases, log=log)
    log(
        f"loaded {report['cases']:,} cases ({report['open']:,} open) and {report['events']:,} events in "
        f"{report['total_s']:.0f} s"
    )
    return app, report
