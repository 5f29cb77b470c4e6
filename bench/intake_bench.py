"""Intake throughput: POST /api/v1/complaints under gunicorn on PostgreSQL, driven by wrk, against a baseline.

Run:  .venv/bin/python bench/intake_bench.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/bench_intake]
          [--duration 30] [--connections N] [--preload 100000] [--rounds 1] [--label after] [--profile]

1. (Re)creates the bench database, builds the schema with the migrations, seeds the catalogues, four
   district departments and their routing rules (as production and the other benches do), then preloads
   --preload registered-and-older cases with one INSERT ... SELECT each for cases, their register events,
   their receipt notices and idempotency keys, so every index intake maintains (cases has 16 with the
   primary key, the unique tracking code and the two trigram GINs) is a realistic size; then VACUUM ANALYZE.
2. Starts two gunicorns with the production config (deploy/gunicorn.conf.py: same worker count and class,
   access log on), one serving the real app factory (core.app:create_app()), one the baseline
   (bench/baseline_app.py: a Flask endpoint inserting one row with SQLAlchemy Core into the same database).
   Rate limits: here the JSON intake API has none (Flask-Limiter guards the web form /submit/<kind> with
   QUALITYLINE_INTAKE_RATE_LIMIT); the bench raises that setting through the environment anyway
   (1000000 per second), so a limit on the API under the same setting is checked on every request, as in
   production, but never refuses one: this is not a rate-limit test.
3. wrk (bench/intake_wrk.lua) POSTs valid, varied submissions with a unique Idempotency-Key each: a 3 s
   warm-up per server, then --rounds rounds of baseline and intake (order alternating per round) for
   --duration seconds each, with the load average before and after every run.
4. After each run the rows are counted: every 201 wrk saw is a case in the database (with its register
   event and idempotency key), new rows exceed the 201s by at most the requests still in flight when wrk
   stopped, and there was no non-2xx answer and no socket error. A failed check exits 1; the timing target
   (intake >= 70 % of the baseline's requests/s, p99 < 50 ms) is printed, never asserted.
5. --profile adds one intake run under two `py-spy record --subprocesses` (not counted in the figures):
   all samples give the share of time the workers wait on PostgreSQL, samples holding the GIL give
   Python's CPU by library (innermost frame) and the heaviest functions (inclusive).

Results go to bench/results/intake.json, which keeps a short history of earlier runs (--label names this one).
Needs wrk (`make bench-deps`) and, for --profile, py-spy (`pip install -e ".[bench]"`; root or ptrace rights).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from baseline_app import metadata as baseline_metadata  # bench/ is on sys.path when run
from baseline_app import submissions
from benchdb import recreate_database
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError

import core
from complaints.models import Category
from complaints.services.catalogue import create_routing_rule, seed_catalogues
from complaints.validators import CREDIT_CODE_CHARSET, credit_code_check_char
from core.app import create_app
from core.auth.services import create_department
from core.db import db
from core.regions import Region

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "intake.json"
LUA_SCRIPT = Path(__file__).resolve().parent / "intake_wrk.lua"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
DEPARTMENTS = [("GL-SCJG", "350102"), ("TJ-SCJG", "350103"), ("CS-SCJG", "350104"), ("JA-SCJG", "350111")]
HISTORY_KEEP = 20
WARMUP_SECONDS = 3

PRELOAD_CASES = """
INSERT INTO cases (tracking_code, access_key_hash, kind, channel, hotline, priority, category_code,
  region_code, title, description, respondent_name, respondent_credit_code_override, complainant_name,
  complainant_mobile, is_confidential, is_incomplete, status, department_id, policy_version, received_at,
  updated_at, acceptance_due_at, handling_due_at, next_due_at, extended_days, urge_count, return_count,
  reopen_count, event_count, last_event_hash)
SELECT 'QL-P-' || lpad(g::text, 9, '0'), md5(g::text) || md5(g::text),
  (ARRAY['complaint','complaint','complaint','report','inquiry','help','suggestion'])[1 + g % 7],
  'web', (ARRAY['12315','12345'])[1 + g % 2], 'normal', c.codes[1 + g % array_length(c.codes, 1)],
  r.codes[1 + g % array_length(r.codes, 1)],
  (ARRAY['电热水壶漏电','小区停水','噪声扰民','网购退款难','物业收费','预付卡退费'])[1 + g % 6] || ' #' || g,
  '合成数据：预载的历史案件', '商户' || (g % 5000), false, '张三',
  '13' || lpad((g % 1000000000)::text, 9, '0'), false, false,
  s.status, CASE WHEN s.status IN ('assigned','in_progress','replied','closed') THEN d.ids[1 + g % 4] END,
  1, now() - (g % 400) * interval '1 day' - (g % 86400) * interval '1 second', now(),
  now() - (g % 400) * interval '1 day' + interval '7 days',
  now() - (g % 400) * interval '1 day' + interval '60 days',
  CASE WHEN s.status = 'closed' THEN NULL ELSE now() - (g % 400) * interval '1 day' + interval '7 days' END,
  0, 0, 0, 0, 1, md5('e' || g) || md5('f' || g)
FROM generate_series(1, :n) AS g
CROSS JOIN LATERAL (SELECT (ARRAY['registered','accepted','assigned','in_progress','replied','closed',
  'closed','closed'])[1 + (g * 7) % 8] AS status) s
CROSS JOIN (SELECT array_agg(id ORDER BY code) AS ids FROM departments) d
CROSS JOIN (SELECT array_agg(code ORDER BY code) AS codes FROM categories) c
CROSS JOIN (SELECT array_agg(code ORDER BY code) AS codes FROM regions WHERE level = 3) r
"""
PRELOAD_CHILDREN = [
    """INSERT INTO case_events (case_id, seq, action, from_state, to_state, actor_role, at, payload,
         prev_hash, hash)
       SELECT id, 1, 'register', NULL, 'registered', 'citizen', received_at,
         '{"channel": "web", "kind": "complaint"}', repeat('0', 64), last_event_hash FROM cases""",
    """INSERT INTO notifications (case_id, template, channel, recipient, params, status, attempts,
         next_attempt_at, created_at, sent_at)
       SELECT id, 'receipt', 'sms', complainant_mobile, json_build_object('tracking_code', tracking_code),
         'sent', 1, received_at, received_at, received_at FROM cases""",
    """INSERT INTO idempotency_keys (key, request_hash, case_id, created_at)
       SELECT 'preload-' || id, md5(tracking_code) || md5(title), id, received_at FROM cases""",
]


def credit_codes(n: int) -> list[str]:
    """n valid GB 32100 codes (Fuzhou region, varied body) for the submissions' respondents."""
    codes = []
    for i in range(n):
        body = "91350100" + "".join(CREDIT_CODE_CHARSET[(i * 7 + k * 3) % 31] for k in range(9))
        codes.append(body + credit_code_check_char(body))
    return codes


def build_database(url: str, preload: int) -> dict[str, list[str]]:
    """Fresh database: migrations, catalogues, departments, routing, preloaded cases; returns the codes
    the submissions may use (active leaf categories, district regions)."""
    recreate_database(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        upgrade()
        seed_catalogues()
        for code, region in DEPARTMENTS:
            create_department(code, code, region)
            create_routing_rule("G", code, region)
            create_routing_rule("S", code, region)
        create_routing_rule("P", DEPARTMENTS[0][0], None)
        baseline_metadata.create_all(db.engine)
        started = time.perf_counter()
        if preload:
            db.session.execute(text(PRELOAD_CASES), {"n": preload})
            for sql in PRELOAD_CHILDREN:
                db.session.execute(text(sql))
            db.session.commit()
        print(
            f"preloaded {preload:,} cases (+ events, notices, keys) in {time.perf_counter() - started:.1f} s"
        )
        categories = db.session.scalars(select(Category.code).where(Category.is_active)).all()
        parents = {c for c in db.session.scalars(select(Category.parent_code)) if c}
        regions = db.session.scalars(select(Region.code).where(Region.level == 3)).all()
        db.session.remove()
        db.engine.dispose()
    vacuum = create_engine(url, isolation_level="AUTOCOMMIT")
    with vacuum.connect() as conn:
        conn.execute(text("VACUUM ANALYZE"))
    vacuum.dispose()
    return {"categories": sorted(set(categories) - parents), "regions": sorted(regions)}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(app_spec: str, port: int, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """gunicorn with the production config file, serving `app_spec` on 127.0.0.1:port."""
    env = {**env, "QUALITYLINE_BIND": f"127.0.0.1:{port}"}
    command = [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF)]
    if app_spec.startswith("baseline_app"):
        command += ["--pythonpath", str(ROOT / "bench")]
    log = log_path.open("w")
    process = subprocess.Popen(command + [app_spec], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn for {app_spec} exited; see {log_path}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return process
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn for {app_spec} did not answer within 60 s; see {log_path}")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_wrk(port: int, duration: int, connections: int, wrk_env: dict[str, str], seed: int) -> dict:
    """One wrk run; returns what the Lua done() hook wrote (latency in µs, statuses, tracking codes)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        out_path = Path(out.name)
    env = {**os.environ, **wrk_env, "WRK_OUT": str(out_path), "WRK_SEED": str(seed),
           "WRK_RUN": f"r{seed}-{secrets.token_hex(4)}"}  # fmt: skip
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{duration}s", "-s", str(LUA_SCRIPT),
               f"http://127.0.0.1:{port}/api/v1/complaints"]  # fmt: skip
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0 or not out_path.stat().st_size:
        raise SystemExit(f"wrk failed ({completed.returncode}): {completed.stderr or completed.stdout}")
    result = json.loads(out_path.read_text())
    out_path.unlink()
    return result


def wait_until_quiet(engine, count_sql: str) -> int:
    """Row count once it stops moving: requests in flight when wrk stopped still finish on the server."""
    previous = -1
    with engine.connect() as conn:
        while True:
            current = conn.execute(text(count_sql)).scalar_one()
            if current == previous:
                return current
            previous = current
            time.sleep(0.5)


def check_rows(engine, target: str, result: dict, before_id: int) -> dict:
    """Every acknowledged submission is in the database; extra rows only from requests in flight at stop."""
    table = "cases" if target == "intake" else submissions.name
    wait_until_quiet(engine, f"SELECT count(*) FROM {table}")
    with engine.connect() as conn:
        stored = set(
            conn.execute(
                text(f"SELECT tracking_code FROM {table} WHERE id > :id"), {"id": before_id}
            ).scalars()
        )
        extra_checks = {}
        if target == "intake":
            # The same transaction writes the register event and the idempotency key of every case.
            extra_checks["register_events"] = conn.execute(
                text("SELECT count(*) FROM case_events WHERE case_id > :id AND action = 'register'"),
                {"id": before_id},
            ).scalar_one()
            extra_checks["idempotency_keys"] = conn.execute(
                text("SELECT count(*) FROM idempotency_keys WHERE case_id > :id"), {"id": before_id}
            ).scalar_one()
    acknowledged = result["tracking_codes"]
    in_flight = result["sent"] - result["responses"]
    missing = [code for code in acknowledged if code not in stored]
    errors = result["errors"]
    problems = []
    if missing:
        problems.append(f"{len(missing)} acknowledged submissions not in the database, e.g. {missing[:3]}")
    if len(set(acknowledged)) != len(acknowledged):
        problems.append("a tracking code was handed out twice")
    if not 0 <= len(stored) - len(acknowledged) <= in_flight:
        problems.append(f"{len(stored)} new rows for {len(acknowledged)} 201s and {in_flight} in flight")
    non_2xx = {status: n for status, n in result["statuses"].items() if not status.startswith("2")}
    if non_2xx or errors["status"]:
        problems.append(f"non-2xx answers: {non_2xx}")
    socket_errors = {k: v for k, v in errors.items() if k != "status" and v}
    if socket_errors:
        problems.append(f"socket errors: {socket_errors}")
    for name, count in extra_checks.items():
        if count != len(stored):
            problems.append(f"{count} {name} for {len(stored)} new cases")
    return {
        "acknowledged_201": len(acknowledged),
        "new_rows": len(stored),
        "in_flight_at_stop": in_flight,
        **extra_checks,
        "statuses": result["statuses"],
        "socket_errors": socket_errors,
        "problems": problems,
    }


def measure(engine, target: str, port: int, args, wrk_env: dict[str, str], seed: int) -> dict:
    """One measured run of `target` with the row check and the load average around it."""
    table = "cases" if target == "intake" else submissions.name
    with engine.connect() as conn:
        before_id = conn.execute(text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar_one()
    load_before = os.getloadavg()
    result = run_wrk(port, args.duration, args.connections, wrk_env, seed)
    load_after = os.getloadavg()
    rows = check_rows(engine, target, result, before_id)
    seconds = result["duration_us"] / 1e6
    latency = {key: round(value / 1000, 2) for key, value in result["latency_us"].items()}
    run = {
        "target": target,
        "requests": result["responses"],
        "requests_per_s": round(result["responses"] / seconds, 1),
        "latency_ms": latency,
        "rows": rows,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in load_after],
    }
    print(
        f"  {target:<8} {run['requests_per_s']:8.1f} req/s  p50 {latency['p50']:6.1f}  p95 "
        f"{latency['p95']:6.1f}  p99 {latency['p99']:6.1f} ms  rows {rows['new_rows']} for "
        f"{rows['acknowledged_201']} 201s ({rows['in_flight_at_stop']} in flight)  load "
        f"{load_before[0]:.2f}->{load_after[0]:.2f}"
        + ("  PROBLEMS: " + "; ".join(rows["problems"]) if rows["problems"] else "")
    )
    return run


PROJECT_PACKAGES = {"complaints", "core", "open311", "surveys", "analytics"}
# Frames every request passes through (server loop, WSGI, decorators): they say nothing about the cost.
PLUMBING = ("gunicorn", "runpy", "flask", "werkzeug", "string")


def profile_intake(master_pid: int, port: int, args, wrk_env: dict[str, str], logs: Path) -> dict:
    """An extra intake run under two py-spy recorders (all workers, 200 Hz): every sample, which shows how
    much of a request is spent waiting for PostgreSQL, and only samples holding the GIL (Python's CPU)."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    views = {"all": logs / "intake_profile_all.txt", "gil": logs / "intake_profile_gil.txt"}
    recorders = [
        subprocess.Popen(
            [
                py_spy,
                "record",
                "--pid",
                str(master_pid),
                "--subprocesses",
                "--rate",
                "200",
                "--format",
                "raw",
                "--duration",
                str(args.duration + 2),
                "--output",
                str(path),
                "--nonblocking",
            ]
            + (["--gil"] if view == "gil" else []),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for view, path in views.items()
    ]
    time.sleep(1.5)
    run_wrk(port, args.duration, args.connections, wrk_env, seed=999)
    errors = [recorder.communicate(timeout=60)[1] for recorder in recorders]
    if not all(path.exists() for path in views.values()):
        print(f"py-spy wrote nothing: {' '.join(e.strip() for e in errors)}")
        return {}
    return summarize_profile(read_stacks(views["all"]), read_stacks(views["gil"]))


def read_stacks(path: Path) -> list[tuple[list[tuple[str, str]], int]]:
    """py-spy's raw (collapsed) output as ([(function, library), ...] outermost first, samples) rows."""
    rows = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = []
        for frame in stack.split(";"):
            if frame.startswith(("process ", "thread ")):
                continue
            name, _, location = frame.partition(" (")
            where = location.rsplit(":", 1)[0]
            top = where.strip("<>").split("/")[0].split(" ")[-1].removesuffix(".py")
            frames.append((f"{name} ({where})" if top in PROJECT_PACKAGES else name, top))
        rows.append((frames, int(count)))
    return rows


def summarize_profile(every: list, gil: list, top: int = 25) -> dict:
    """Where intake's time goes: the share of samples waiting on PostgreSQL (psycopg's wait), the share of
    GIL samples per library by innermost frame, and the heaviest functions by inclusive GIL share."""
    total = sum(n for _, n in every) or 1
    waiting = sum(n for frames, n in every if any(lib == "psycopg" and "wait" in f for f, lib in frames))
    cpu_total = sum(n for _, n in gil) or 1
    by_library: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for frames, n in gil:
        if frames:
            by_library[frames[-1][1]] += n
        for key in {f"{f} [{lib}]" for f, lib in frames if lib not in PLUMBING and not f.endswith("wrapper")}:
            inclusive[key] += n
    return {
        "samples_all": total,
        "waiting_on_postgresql": round(waiting / total, 3),
        "samples_gil": cpu_total,
        "gil_self_by_library": {lib: round(n / cpu_total, 3) for lib, n in by_library.most_common(12)},
        "gil_inclusive_top": [
            {"function": key, "share": round(n / cpu_total, 3)} for key, n in inclusive.most_common(top)
        ],
    }


def postgresql_started(engine) -> datetime:
    """When the PostgreSQL server started: a restart in the middle of a run voids its figures."""
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_postmaster_start_time()")).scalar_one()


def summarize(runs: list[dict], target: str) -> dict:
    mine = [r for r in runs if r["target"] == target]
    return {
        "requests_per_s": round(statistics.median(r["requests_per_s"] for r in mine), 1),
        **{
            f"{p}_ms": round(statistics.median(r["latency_ms"][p] for r in mine), 2)
            for p in ("p50", "p95", "p99")
        },
    }


def git_commit() -> str:
    def git(*argv: str) -> str:
        return subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    changed = git("status", "--porcelain", "--", ".", ":!bench/results")  # results are written by the runs
    return git("rev-parse", "--short", "HEAD") + ("-dirty" if changed else "")


def write_results(report: dict, label: str) -> None:
    history = []
    if RESULTS.exists():
        history = json.loads(RESULTS.read_text()).get("history", [])
    history.append(
        {
            "label": label,
            "commit": report["commit"],
            "at": report["at"],
            "baseline": report["baseline"],
            "intake": report["intake"],
            "ratio": report["ratio"],
            "load_1m": report["load_1m"],
            "connections": report["connections"],
            "duration_s": report["duration_s"],
            "preload": report["preload"],
        }
    )
    report["history"] = history[-HISTORY_KEEP:]
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_intake")
    parser.add_argument("--duration", type=int, default=30, help="seconds per measured run")
    parser.add_argument("--connections", type=int, help="wrk connections (default 2 x workers)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: the config's 2 x cores + 1)")
    parser.add_argument("--preload", type=int, default=100_000, help="existing cases before the runs")
    parser.add_argument("--rounds", type=int, default=1, help="baseline/intake pairs, order alternating")
    parser.add_argument("--label", default="", help="name of this run in the results history")
    parser.add_argument("--profile", action="store_true", help="one extra intake run under py-spy")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found: make bench-deps (apt-get install wrk)")
    if not Path(core.__file__).resolve().is_relative_to(ROOT):
        raise SystemExit(f"core imports from {Path(core.__file__).parent}, not {ROOT}: run with PYTHONPATH=.")

    codes = build_database(args.url, args.preload)
    workers = args.workers or multiprocessing.cpu_count() * 2 + 1
    # Two per sync worker: one being served while the next waits in the backlog, so no worker idles
    # while wrk reconnects (a sync worker closes the connection after each response).
    args.connections = args.connections or 2 * workers
    server_env = {key: value for key, value in os.environ.items() if key != "PROMETHEUS_MULTIPROC_DIR"} | {
        "PYTHONPATH": str(ROOT),
        "QUALITYLINE_DATABASE_URL": args.url,
        "QUALITYLINE_SECRET_KEY": "intake-bench-" + secrets.token_hex(8),
        "QUALITYLINE_WORKERS": str(workers),
        # Not applied to the JSON API today (only the web form); raised in case that changes.
        "QUALITYLINE_INTAKE_RATE_LIMIT": "1000000 per second",
    }
    wrk_env = {
        "WRK_CATEGORIES": ",".join(codes["categories"]),
        "WRK_REGIONS": ",".join(codes["regions"]),
        "WRK_CREDIT_CODES": ",".join(credit_codes(40)),
    }
    logs = Path(tempfile.mkdtemp(prefix="intake-bench-"))
    ports = {"baseline": free_port(), "intake": free_port()}
    servers = {}
    engine = create_engine(args.url, pool_pre_ping=True)
    try:
        servers["intake"] = start_server(
            "core.app:create_app()", ports["intake"], server_env, logs / "intake.log"
        )
        servers["baseline"] = start_server(
            "baseline_app:create_app()", ports["baseline"], server_env, logs / "baseline.log"
        )
        print(f"gunicorn: {workers} sync workers each (logs in {logs}); wrk: {args.connections} connections")
        for target in ("baseline", "intake"):  # workers import and connect lazily: not measured
            run_wrk(ports[target], WARMUP_SECONDS, args.connections, wrk_env, seed=0)
        runs = []
        started = postgresql_started(engine)
        for round_no in range(args.rounds):
            order = ("baseline", "intake") if round_no % 2 == 0 else ("intake", "baseline")
            for target in order:
                try:
                    runs.append(measure(engine, target, ports[target], args, wrk_env, seed=round_no * 2 + 1))
                    restarted = postgresql_started(engine) != started
                except OperationalError:
                    restarted = True
                if restarted:  # a shared machine: someone else restarted the server
                    raise SystemExit("PostgreSQL restarted during the run: its figures are void; run again")
        profile = {}
        if args.profile:
            profile = profile_intake(servers["intake"].pid, ports["intake"], args, wrk_env, logs)
    finally:
        for process in servers.values():
            stop_server(process)
        engine.dispose()

    baseline, intake = summarize(runs, "baseline"), summarize(runs, "intake")
    ratios = [
        i["requests_per_s"] / b["requests_per_s"]
        for b, i in zip(
            [r for r in runs if r["target"] == "baseline"],
            [r for r in runs if r["target"] == "intake"],
            strict=True,
        )
    ]
    ratio = round(statistics.median(ratios), 3)
    problems = [p for r in runs for p in r["rows"]["problems"]]
    report = {
        "benchmark": "POST /api/v1/complaints under gunicorn vs a one-row Flask/SQLAlchemy Core insert",
        "commit": git_commit(),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "postgresql": args.url.rsplit("@", 1)[-1]},
        "workers": workers,
        "worker_class": "sync",
        "connections": args.connections,
        "duration_s": args.duration,
        "rounds": args.rounds,
        "preload": args.preload,
        "rate_limit": "QUALITYLINE_INTAKE_RATE_LIMIT (the intake limiter's budget) = 1000000 per second",
        "baseline": baseline,
        "intake": intake,
        "ratio": ratio,
        "target": {"min_ratio": 0.7, "max_p99_ms": 50.0},
        "target_met": ratio >= 0.7 and intake["p99_ms"] < 50,
        "rows_ok": not problems,
        "load_1m": [runs[0]["load_before"][0], runs[-1]["load_after"][0]],
        "runs": runs,
    }
    if profile:
        report["profile"] = profile
    write_results(report, args.label or report["commit"])
    print(
        f"baseline {baseline['requests_per_s']:.1f} req/s, p99 {baseline['p99_ms']:.1f} ms | intake "
        f"{intake['requests_per_s']:.1f} req/s, p50/p95/p99 {intake['p50_ms']:.1f}/{intake['p95_ms']:.1f}/"
        f"{intake['p99_ms']:.1f} ms | ratio {ratio:.2f} (target >= 0.70, p99 < 50 ms: "
        f"{'met' if report['target_met'] else 'not met'}) | rows {'ok' if not problems else 'FAILED'}"
    )
    if profile:
        print(
            f"profile: {profile['waiting_on_postgresql']:.0%} of the samples wait on PostgreSQL; "
            "GIL samples by library: "
            + ", ".join(f"{lib} {share:.0%}" for lib, share in profile["gil_self_by_library"].items())
        )
        for item in profile["gil_inclusive_top"]:
            print(f"  {item['share']:6.1%}  {item['function']}")
    if problems:
        raise SystemExit("row check failed: " + "; ".join(problems))


if __name__ == "__main__":
    main()
