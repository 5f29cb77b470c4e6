"""What the benchmarks share: a fresh PostgreSQL database per run and a p50/p95 timer.

The scripts run as `python bench/<name>.py`, which puts this folder on sys.path, so they import it plainly.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


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
