"""The provincial-scale suite (`make bench`): for each size, generate the cases once into a bench database and
run every database measure on it; then the survey statistics at each response count; then the scaling check.

Run:  .venv/bin/python bench/run.py [--sizes 10k,100k,1M,10M] [--responses 10k,100k,1M]
      [--url postgresql+psycopg://postgres@127.0.0.1:5432/qualityline_bench]

Per size: bench/datagen.py loads the cases and events with COPY (results/datagen.json), then
case_list_bench (queue + case page), kpi_rollup_bench (rollups vs raw) and sla_bench (the scan; it
changes marks, so it runs last). Every measure's file under bench/results/ keeps one entry per size.
results/scaling.json fits log(time) against log(size) per figure: a slope <= 1 grows no worse than
linearly, ~0 is what an index lookup should give; results/scaling.svg plots them.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import case_list_bench
import kpi_rollup_bench
import matplotlib
import numpy as np
import psycopg
import report
import sla_bench
import stats_bench
from benchdb import DEFAULT_URL, RESULTS, build_database, machine, parse_size, size_label, write_result
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from core.app import create_app

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

plt.rcParams["font.family"] = ["WenQuanYi Micro Hei", "DejaVu Sans"]  # labels hold Chinese search terms

STARTED = time.perf_counter()


def log(message: str) -> None:
    """Progress with the elapsed time and the load average (the machine is shared)."""
    elapsed = time.perf_counter() - STARTED
    print(f"[{elapsed / 60:5.1f} min, load {os.getloadavg()[0]:4.1f}] {message}", flush=True)


def figures() -> dict[str, tuple[str, dict[int, float]]]:
    """Every timed figure of the result files: name -> (expected growth, {size: seconds or ms})."""

    def load(measure: str) -> dict:
        path = RESULTS / f"{measure}.json"
        return json.loads(path.read_text()).get("sizes", {}) if path.exists() else {}

    out: dict[str, tuple[str, dict[int, float]]] = {}

    def add(name: str, growth: str, size: int, value: float | None) -> None:
        if value is not None and value > 0:
            out.setdefault(name, (growth, {}))[1][size] = value

    for entry in load("datagen").values():
        add("datagen: generate + COPY + indexes (s)", "linear", entry["n"], entry["total_s"])
    for entry in load("case_list").values():
        for name, r in entry["scenarios"].items():
            add(f"case list: {name} p95 (ms)", "log", entry["n"], r["p95_ms"])
    for entry in load("kpi_rollup").values():
        add("kpi: rollup rebuild (s)", "linear", entry["n"], entry["rebuild_seconds"])
        for name, r in entry["questions"].items():
            add(f"kpi rollup: {name} p95 (ms)", "log", entry["n"], r["rollup"]["p95_ms"])
            add(f"kpi raw: {name} p50 (ms)", "linear", entry["n"], r["raw"]["p50_ms"])
    for entry in load("sla").values():
        add("sla: next-day scan (s)", "linear", entry["n"], entry["next_day_scan"]["seconds"])
        if "first_pass" in entry:
            add("sla: first pass after deploy (s)", "linear", entry["n"], entry["first_pass"]["seconds"])
        if "urge_batch_query" in entry:
            add(
                "sla: lock one urge batch of the backlog (s)",
                "log",
                entry["n"],
                entry["urge_batch_query"]["seconds"],
            )
    for entry in load("stats").values():
        add("stats: raking + index with SE (s)", "linear", entry["n"], entry["ours_seconds"])
    return out


def scaling() -> dict:
    """Slope of log(time) against log(size) per figure, and whether it is within its expected growth."""
    result = {}
    for name, (growth, points) in figures().items():
        if len(points) < 2:
            continue
        sizes = sorted(points)
        slope = float(np.polyfit(np.log(sizes), np.log([points[s] for s in sizes]), 1)[0])
        # Linear: slope <= 1 (+0.15 for noise on a shared machine); an index lookup: well below linear.
        limit = 1.15 if growth == "linear" else 0.35
        result[name] = {
            "expected": growth,
            "slope": round(slope, 3),
            "within": slope <= limit,
            "points": {size_label(s): round(points[s], 3) for s in sizes},
        }
    return result


def plot(result: dict) -> None:
    """One log-log panel per family of figures."""
    families = {}
    for name, r in result.items():
        families.setdefault(name.split(":")[0], []).append((name, r))
    fig, axes = plt.subplots(1, len(families), figsize=(5 * len(families), 4.5), squeeze=False)
    for ax, (family, rows) in zip(axes[0], families.items(), strict=True):
        for name, r in rows:
            sizes = [int(parse_size(s)) for s in r["points"]]
            ax.loglog(
                sizes,
                list(r["points"].values()),
                marker="o",
                label=f"{name.split(':', 1)[1]} ({r['slope']:.2f})",
            )
        ax.set_title(family)
        ax.set_xlabel("size (cases or responses)")
        ax.legend(fontsize=5)
        ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(RESULTS / "scaling.svg")


SETTINGS = (
    "shared_buffers",
    "work_mem",
    "maintenance_work_mem",
    "effective_cache_size",
    "max_wal_size",
    "synchronous_commit",
    "max_parallel_workers_per_gather",
    "jit",
)


def postgresql(url: str) -> dict:
    """Server version and the settings the figures depend on (server defaults; the bench sets no others
    except maintenance_work_mem and synchronous_commit inside its own loading session)."""
    dsn = (
        make_url(url).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    )
    with psycopg.connect(dsn) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        settings = {name: conn.execute(f"SHOW {name}").fetchone()[0] for name in SETTINGS}
    return {"version": f"PostgreSQL {version}", "settings": settings}


def _loaded_cases(url: str) -> int:
    """Cases in the bench database (0 when it is missing or empty)."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(dsn) as conn:
            return conn.execute("SELECT count(*) FROM cases").fetchone()[0]
    except psycopg.Error:
        return 0


def run_size(url: str, n: int, done: set[str]) -> None:
    """Generate the database for n cases once, then every database measure on it. `done` names the steps
    finished, so a retry after a lost connection resumes instead of generating 10M cases again."""
    started = time.perf_counter()
    if "datagen" in done and _loaded_cases(url) == n:
        log(f"[{size_label(n)}] resuming on the loaded database after: {', '.join(sorted(done))}")
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LOG_LEVEL": "WARNING"})
    else:
        done.clear()
        app, load = build_database(url, n, log)
        write_result("datagen", n, load)
        done.add("datagen")
    for name, title, bench in (
        ("case_list", "case list and case page", case_list_bench),
        ("kpi_rollup", "KPI rollups vs raw", kpi_rollup_bench),
        ("sla", "SLA scan", sla_bench),  # last: it changes marks and adds urge events
    ):
        if name in done:
            continue
        log(f"[{size_label(n)}] {title}")
        write_result(name, n, bench.measure(app, n, log=log))
        done.add(name)
    log(f"[{size_label(n)}] done in {(time.perf_counter() - started) / 60:.1f} min")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10k,100k,1M,10M", help="case counts, e.g. 10k,100k")
    parser.add_argument("--responses", default="10k,100k,1M", help="survey response counts")
    parser.add_argument("--url", default=DEFAULT_URL)
    args = parser.parse_args()
    sizes = [parse_size(s) for s in args.sizes.split(",") if s]
    responses = [parse_size(s) for s in args.responses.split(",") if s]
    start_machine = machine()
    log(
        f"bench suite: cases {', '.join(map(size_label, sizes))}; "
        f"responses {', '.join(map(size_label, responses))}"
    )
    for n in sizes:
        done: set[str] = set()
        for attempt in (1, 2, 3):
            try:
                run_size(args.url, n, done)
                break
            except (DBAPIError, psycopg.OperationalError, psycopg.InterfaceError) as error:
                # The server is shared: a restart by someone else drops the connections. Redo the size.
                log(f"[{size_label(n)}] connection lost ({str(error).splitlines()[0]}); attempt {attempt}")
                if attempt == 3:
                    raise
                time.sleep(30)
    for n in responses:
        log(f"survey statistics, {size_label(n)} responses")
        write_result("stats", n, stats_bench.bench_raking(n))
    if responses:
        log("PLS-PM with bootstrap")
        write_result("pls", 250, stats_bench.bench_pls())
    result = scaling()
    (RESULTS / "scaling.json").write_text(
        json.dumps(
            {
                "machine_at_start": start_machine,
                "machine_at_end": machine(),
                "postgresql": postgresql(args.url),
                "sizes": [size_label(n) for n in sizes],
                "responses": [size_label(n) for n in responses],
                "minutes": round((time.perf_counter() - STARTED) / 60, 1),
                "figures": result,
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    )
    plot(result)
    for name, r in result.items():
        flag = "ok" if r["within"] else "GROWS FASTER THAN EXPECTED"
        log(f"  slope {r['slope']:6.2f} ({r['expected']:<6}) {flag:<4} {name}")
    report.main()
    log(f"suite finished in {(time.perf_counter() - STARTED) / 60:.1f} min")


if __name__ == "__main__":
    main()
