"""Dashboard KPI queries on PostgreSQL: from the rollups vs recomputed from the raw cases, at every size.

Run:  .venv/bin/python bench/kpi_rollup_bench.py [--cases 10M] [--url postgresql+psycopg://...]
      (bench/run.py runs it at every size on the database it generated once)

The database comes from bench/datagen.py: three years of realistic cases with every stage timestamp,
deadline, handling_workdays (counted on the statutory calendar as the reply action counts it), outcome and
rating filled as the app writes them. The bench rebuilds the rollups (timed, as the nightly job does) and
times the dashboard's questions through the service functions, from the rollups (the dashboard's path,
target < 200 ms) and from the raw cases (the recomputation), checking both give the same numbers.
Baseline in the same session: a one-row primary-key lookup, the cheapest round trip.
Results: bench/results/kpi_rollup.json (one entry per size).
"""

from __future__ import annotations

import argparse
import time
from datetime import date

from benchdb import DEFAULT_URL, build_database, parse_size, timed, write_result
from sqlalchemy import text

from analytics.services import kpi_rollups, three_rate
from analytics.services.complaint_kpis import compute_complaint_kpis, compute_kpi_series
from core.db import db

TARGET_MS = 200
ESTIMATE_TREND_ABOVE = 1_000_000


def measure(app, n: int, repeat: int = 20, raw_repeat: int | None = None, log=print) -> dict:
    """Rebuild the rollups, then ask each question from the rollups and from the raw cases."""
    raw_repeat = raw_repeat or (5 if n <= 100_000 else 1)
    today = date.today()
    year = (date(today.year, 1, 1), date(today.year + 1, 1, 1))
    month = (date(today.year, 3, 1), date(today.year, 4, 1))
    questions = {
        "year, all cases": lambda source: compute_complaint_kpis(*year, "none", source),
        "year by department": lambda source: compute_complaint_kpis(*year, "department", source),
        "month by category": lambda source: compute_complaint_kpis(*month, "category", source),
        "12-month trend": lambda source: compute_kpi_series(*year, "month", "none", source),
        "three-rate ranking": lambda source: three_rate.rank_units(*year, "department", None, 30, source),
    }
    with app.app_context():
        started = time.perf_counter()
        rows = kpi_rollups.rebuild_kpi_rollups()
        rebuild_s = time.perf_counter() - started
        log(f"  rollup rebuild: {rows:,} rows in {rebuild_s:.1f} s")

        def baseline():
            db.session.execute(text("SELECT id, status FROM cases WHERE id = :id"), {"id": n // 2}).all()

        base = timed(baseline, repeat)
        results = {}
        for name, ask in questions.items():
            rolled = timed(lambda ask=ask: ask("rollup"), repeat)
            samples, answer = [], None
            estimated = name == "12-month trend" and n > ESTIMATE_TREND_ABOVE
            for _ in range(raw_repeat):
                t0 = time.perf_counter()
                # The raw trend is twelve raw monthly reports; above 1M cases one month is timed and
                # counted twelve times (measured: each month costs what the whole year does, a full scan).
                answer = compute_complaint_kpis(*month, "none", "raw") if estimated else ask("raw")
                samples.append((time.perf_counter() - t0) * 1000 * (12 if estimated else 1))
            samples.sort()
            raw = {
                "p50_ms": samples[len(samples) // 2],
                "runs": raw_repeat,
                "estimated_from_one_month": estimated,
            }
            same = (
                ask("rollup") == answer
                if not estimated
                else (compute_complaint_kpis(*month, "none", "rollup") == answer)
            )
            results[name] = {
                "rollup": rolled,
                "raw": raw,
                "equal": same,
                "raw_over_rollup": raw["p50_ms"] / rolled["p50_ms"],
                "rollup_vs_baseline_p95": rolled["p95_ms"] / base["p95_ms"],
                "met": rolled["p95_ms"] < TARGET_MS,
            }
            log(
                f"  {name:<22} rollup p50 {rolled['p50_ms']:7.1f} ms p95 {rolled['p95_ms']:7.1f} ms | "
                f"raw p50 {raw['p50_ms']:9.0f} ms | raw/rollup {raw['p50_ms'] / rolled['p50_ms']:6.0f}x | "
                f"equal {same}"
            )
    log(f"  baseline PK lookup: p50 {base['p50_ms']:.2f} ms, p95 {base['p95_ms']:.2f} ms")
    return {
        "target_p95_ms": TARGET_MS,
        "rollup_rows": rows,
        "rebuild_seconds": round(rebuild_s, 1),
        "baseline": base,
        "questions": results,
        "all_met": all(r["met"] for r in results.values()),
        "all_equal": all(r["equal"] for r in results.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=parse_size, default=10_000_000)
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--raw-repeat", type=int)
    args = parser.parse_args()
    app, _ = build_database(args.url, args.cases)
    write_result("kpi_rollup", args.cases, measure(app, args.cases, args.repeat, args.raw_repeat))


if __name__ == "__main__":
    main()
