"""Handler queue (GET /cases) and case page (GET /cases/<code> + its events) latency on PostgreSQL, with
EXPLAIN to show index use.

Run:  .venv/bin/python bench/case_list_bench.py [--cases 1M] [--url postgresql+psycopg://...]
      (bench/run.py runs it at every size on the database it generated once)

The database comes from bench/datagen.py (realistic cases and their audit events). The queue pages go
through the HTTP layer (Flask test client, real service and SQL): first pages and deep pages (a cursor at
half the rows), with the filters a handler uses. The case page is the staff detail and its audit events
for a rotating sample of cases (recent and old). Baseline in the same session: a primary-key page
(`SELECT ... ORDER BY id LIMIT 50`), the cheapest page query PostgreSQL can answer; every figure is
printed with its ratio to it. Results go to bench/results/case_list.json (one entry per size).
"""

from __future__ import annotations

import argparse
import random

from benchdb import DEFAULT_URL, build_database, parse_size, timed, write_result
from sqlalchemy import select, text

from complaints.services.queries import encode_cursor
from core.auth.models import Department, User
from core.auth.services import issue_token
from core.db import db

TARGET_MS = 50


def measure(app, n: int, repeat: int = 40, log=print) -> dict:
    """Time the queue pages and the case page on the loaded database; print and return the figures."""
    with app.app_context():
        busiest = db.session.execute(
            text(
                "SELECT department_id FROM cases WHERE department_id IS NOT NULL AND next_due_at IS NOT NULL "
                "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
            )
        ).scalar()
        department = db.session.get(Department, busiest)
        dept_id, dept_code, dept_region = department.id, department.code, department.region_code
        users = {u.username: u for u in db.session.scalars(select(User))}
        tokens = {
            "disp": issue_token(users["disp"])[0],
            "hand": issue_token(users[f"hand-{dept_code}"])[0],
        }
        deep_received = db.session.execute(
            text("SELECT received_at, id FROM cases ORDER BY received_at DESC, id DESC OFFSET :k LIMIT 1"),
            {"k": n // 2},
        ).one()
        due_rows = db.session.scalar(text("SELECT count(*) FROM cases WHERE next_due_at IS NOT NULL"))
        deep_due = db.session.execute(
            text(
                "SELECT next_due_at, id FROM cases WHERE next_due_at IS NOT NULL ORDER BY next_due_at, id "
                "OFFSET :k LIMIT 1"
            ),
            {"k": due_rows // 2},
        ).one()
        # Case pages: recent cases (full audit trail at every size) and any case.
        recent = db.session.scalars(
            text("SELECT tracking_code FROM cases ORDER BY received_at DESC, id DESC LIMIT 200")
        ).all()
        rng = random.Random(7)
        sample_ids = [rng.randint(1, n) for _ in range(200)]
        anywhere = db.session.scalars(
            text("SELECT tracking_code FROM cases WHERE id = ANY(:ids)"), {"ids": sample_ids}
        ).all()
        open_codes = db.session.scalars(
            text(
                "SELECT tracking_code FROM cases WHERE status NOT IN ('closed', 'merged') "
                "AND id = ANY(:ids) UNION ALL (SELECT tracking_code FROM cases "
                "WHERE status = 'in_progress' ORDER BY id DESC LIMIT 200)"
            ),
            {"ids": sample_ids},
        ).all()
        events_per_case = db.session.scalar(
            text("SELECT avg(event_count) FROM cases WHERE tracking_code = ANY(:c)"), {"c": list(open_codes)}
        )
    client = app.test_client()

    def get(user: str, path: str, **query) -> dict:
        response = client.get(path, query_string=query, headers={"Authorization": f"Bearer {tokens[user]}"})
        assert response.status_code == 200, response.json
        return response.json

    def page(user: str, **query) -> dict:
        return get(user, "/api/v1/cases", **query)

    def rotating(codes):
        codes = list(codes) or [None]
        state = {"i": 0}

        def show():
            code = codes[state["i"] % len(codes)]
            state["i"] += 1
            get("disp", f"/api/v1/cases/{code}")
            return get("disp", f"/api/v1/cases/{code}/events")

        return show

    cursor = None
    for _ in range(20):
        cursor = page("disp", sort="due", limit=200, **({"cursor": cursor} if cursor else {}))["next_cursor"]
    deep_received_cursor = encode_cursor(deep_received[0], deep_received[1])
    deep_due_cursor = encode_cursor(deep_due[0], deep_due[1])
    scenarios = {
        "queue first page (sort=due)": lambda: page("disp", sort="due"),
        "queue page after 4,000 rows": lambda: page("disp", sort="due", cursor=cursor),
        "queue deep page (half the open rows)": lambda: page("disp", sort="due", cursor=deep_due_cursor),
        "newest first, first page": lambda: page("disp"),
        "newest first, deep page (half the rows)": lambda: page("disp", cursor=deep_received_cursor),
        "status=in_progress, due": lambda: page("disp", sort="due", status="in_progress"),
        "department, due": lambda: page("disp", sort="due", department=dept_code),
        "handler own queue (due)": lambda: page("hand", sort="due"),
        "handler own queue, deep (received)": lambda: page("hand", cursor=deep_received_cursor),
        "overdue, due": lambda: page("disp", sort="due", overdue="true"),
        "region + category, newest": lambda: page("disp", region=dept_region, category="G"),
        "text search q=停水 (tingshui)": lambda: page("disp", q="停水"),
        "case page + events (open cases)": rotating(open_codes),
        "case page + events (any case)": rotating(anywhere),
        "case page + events (newest cases)": rotating(recent),
    }
    with app.app_context():

        def baseline():
            db.session.execute(
                text("SELECT id, title FROM cases WHERE id > :k ORDER BY id LIMIT 50"), {"k": n // 2}
            ).all()

        base = timed(baseline, repeat)
        for fn in scenarios.values():  # one warm-up call each: the first request compiles templates/queries
            fn()
        results = {name: timed(fn, repeat) for name, fn in scenarios.items()}
        plans = {}
        for label, sql in {
            "queue": "SELECT id FROM cases WHERE next_due_at IS NOT NULL ORDER BY next_due_at, id LIMIT 51",
            "department queue": f"SELECT id FROM cases WHERE department_id = {dept_id} "
            "AND next_due_at IS NOT NULL ORDER BY next_due_at, id LIMIT 51",
            "newest": "SELECT id FROM cases ORDER BY received_at DESC, id DESC LIMIT 51",
            "deep newest": "SELECT id FROM cases WHERE (received_at, id) < "
            f"('{deep_received[0].isoformat()}', {deep_received[1]}) "
            "ORDER BY received_at DESC, id DESC LIMIT 51",
            "search": "SELECT id FROM cases WHERE title ILIKE '%停水%' "
            "ORDER BY received_at DESC, id DESC LIMIT 51",
            "case events": "SELECT * FROM case_events WHERE case_id = 4242 ORDER BY seq",
        }.items():
            plan = db.session.execute(text("EXPLAIN " + sql)).scalars().all()
            plans[label] = [line.strip() for line in plan if "Index" in line or "Scan" in line][:3]
    log(f"baseline PK page: p50 {base['p50_ms']:.2f} ms, p95 {base['p95_ms']:.2f} ms")
    for name, r in results.items():
        r["vs_baseline_p95"] = round(r["p95_ms"] / base["p95_ms"], 1)
        r["met"] = r["p95_ms"] < TARGET_MS
        log(
            f"  {name:<42} p50 {r['p50_ms']:7.2f} ms  p95 {r['p95_ms']:7.2f} ms  "
            f"({r['vs_baseline_p95']:.1f}x baseline p95){'' if r['met'] else '  > target'}"
        )
    for label, lines in plans.items():
        log(f"  plan[{label}]: " + " | ".join(lines))
    return {
        "target_p95_ms": TARGET_MS,
        "baseline": base,
        "scenarios": results,
        "plans": plans,
        "events_per_open_case": float(events_per_case or 0),
        "all_met": all(r["met"] for r in results.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=parse_size, default=1_000_000)
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    app, _ = build_database(args.url, args.cases)
    write_result("case_list", args.cases, measure(app, args.cases, args.repeat))


if __name__ == "__main__":
    main()
