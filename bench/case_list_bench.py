"""Case-list (GET /cases) latency at 1 million cases on PostgreSQL, with EXPLAIN to show index use.

Run:  .venv/bin/python bench/case_list_bench.py [--cases 1000000] [--url postgresql+psycopg://postgres@127.0.0.1/qualityline_bench]

It (re)creates the bench database, builds the schema with the migrations, bulk-inserts synthetic cases
with one INSERT ... SELECT generate_series, then times the staff list queries through the HTTP layer
(Flask test client, real service and SQL) against a baseline in the same session: a primary-key page
(`SELECT ... ORDER BY id LIMIT 50`), the cheapest page query PostgreSQL can answer.
Results go to bench/results/case_list.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from benchdb import recreate_database, timed  # bench/ is on sys.path when run
from flask_migrate import upgrade
from sqlalchemy import select, text

from complaints.services.catalogue import create_routing_rule, seed_catalogues
from complaints.services.queries import encode_cursor
from core.app import create_app
from core.auth.models import User
from core.auth.services import create_department, create_user, issue_token
from core.db import db

RESULTS = Path(__file__).parent / "results" / "case_list.json"
DEPARTMENTS = [("GL-SCJG", "350102"), ("TJ-SCJG", "350103"), ("CS-SCJG", "350104"), ("JA-SCJG", "350111")]

INSERT = """
INSERT INTO cases (tracking_code, access_key_hash, kind, channel, hotline, priority, category_code,
  region_code, title, description, respondent_name, respondent_credit_code_override, complainant_name,
  complainant_mobile,
  is_confidential, is_incomplete, status, department_id, policy_version, received_at, updated_at,
  acceptance_due_at, handling_due_at, next_due_at, extended_days, urge_count, return_count, reopen_count,
  event_count, last_event_hash)
SELECT 'QL-B-' || lpad(g::text, 9, '0'), md5(g::text) || md5(g::text),
  (ARRAY['complaint','report','inquiry','help','suggestion'])[1 + g % 5], 'web', '12345', 'normal',
  (ARRAY['G0101','G0102','S0401','S1401','P01','A03'])[1 + g % 6],
  (ARRAY['350102','350103','350104','350111'])[1 + g % 4],
  (ARRAY['电热水壶漏电','小区停水','噪声扰民','网购退款难','物业收费'])[1 + g % 5] || ' #' || g,
  '合成数据', '商户' || (g % 5000), false, '张三', '13800138000', false, false,
  s.status, CASE WHEN s.status IN ('assigned','in_progress','replied','closed') THEN d.ids[1 + g % 4] END,
  1, now() - (g % 400) * interval '1 day' - (g % 86400) * interval '1 second', now(),
  now() - (g % 400) * interval '1 day' + interval '7 days',
  now() - (g % 400) * interval '1 day' + interval '60 days',
  CASE WHEN s.status IN ('closed','merged') THEN NULL
       ELSE now() - (g % 400) * interval '1 day' + (g % 97) * interval '1 day' END,
  0, 0, 0, 0, 0, repeat('0', 64)
FROM generate_series(1, :n) AS g
CROSS JOIN LATERAL (SELECT (ARRAY['registered','accepted','assigned','in_progress','replied','closed',
  'closed','closed','closed','rejected'])[1 + (g * 7) % 10] AS status) s
CROSS JOIN (SELECT array_agg(id ORDER BY code) AS ids FROM departments) d
"""


def load(app, n: int) -> dict[str, str]:
    with app.app_context():
        upgrade()
        seed_catalogues()
        for code, region in DEPARTMENTS:
            create_department(code, code, region)
            create_routing_rule("G", code, region)
        tokens = {}
        for username, role, dept in [("disp", "dispatcher", None), ("hand", "handler", "GL-SCJG")]:
            tokens[username] = issue_token(create_user(username, role, "bench-pass-1", dept))[0]
        started = time.perf_counter()
        db.session.execute(text(INSERT), {"n": n})
        db.session.commit()
        db.session.execute(text("ANALYZE cases"))
        db.session.commit()
        print(f"loaded {n:,} cases in {time.perf_counter() - started:.1f} s")
        return tokens


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/qualityline_bench")
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument(
        "--reuse", action="store_true", help="Keep the loaded bench database from a previous run."
    )
    args = parser.parse_args()
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.url, "LOG_LEVEL": "WARNING"})
    if args.reuse:
        with app.app_context():
            users = {u.username: u for u in db.session.scalars(select(User))}
            tokens = {name: issue_token(users[name])[0] for name in ("disp", "hand")}
    else:
        recreate_database(args.url)
        tokens = load(app, args.cases)
    client = app.test_client()

    def page(user: str, **query) -> dict:
        response = client.get(
            "/api/v1/cases", query_string=query, headers={"Authorization": f"Bearer {tokens[user]}"}
        )
        assert response.status_code == 200, response.json
        return response.json

    # A shallow cursor reached by paging, and deep cursors built from the row at a large offset.
    cursor = None
    for _ in range(20):
        cursor = page("disp", sort="due", limit=200, **({"cursor": cursor} if cursor else {}))["next_cursor"]
    with app.app_context():
        deep_received = db.session.execute(
            text("SELECT received_at, id FROM cases ORDER BY received_at DESC, id DESC OFFSET 500000 LIMIT 1")
        ).one()
        deep_due = db.session.execute(
            text(
                "SELECT next_due_at, id FROM cases WHERE next_due_at IS NOT NULL ORDER BY next_due_at, id "
                "OFFSET 300000 LIMIT 1"
            )
        ).one()
    deep_received_cursor = encode_cursor(deep_received[0], deep_received[1])
    deep_due_cursor = encode_cursor(deep_due[0], deep_due[1])
    scenarios = {
        "queue first page (sort=due)": lambda: page("disp", sort="due"),
        "queue page after 4,000 rows": lambda: page("disp", sort="due", cursor=cursor),
        "queue page after 300,000 rows": lambda: page("disp", sort="due", cursor=deep_due_cursor),
        "newest first, first page": lambda: page("disp"),
        "newest first, page after 500,000 rows": lambda: page("disp", cursor=deep_received_cursor),
        "status=in_progress, due": lambda: page("disp", sort="due", status="in_progress"),
        "department=GL-SCJG, due": lambda: page("disp", sort="due", department="GL-SCJG"),
        "handler own queue (due)": lambda: page("hand", sort="due"),
        "overdue, due": lambda: page("disp", sort="due", overdue="true"),
        "region + category, newest": lambda: page("disp", region="350103", category="G"),
        "text search q=停水": lambda: page("disp", q="停水"),
    }
    with app.app_context():

        def baseline():
            db.session.execute(
                text("SELECT id, title FROM cases WHERE id > 500000 ORDER BY id LIMIT 50")
            ).all()

        base = timed(baseline, args.repeat)
        results = {name: timed(fn, args.repeat) for name, fn in scenarios.items()}
        plans = {}
        for label, sql in {
            "queue": "SELECT id FROM cases WHERE next_due_at IS NOT NULL ORDER BY next_due_at, id LIMIT 51",
            "department queue": "SELECT id FROM cases WHERE department_id = 1 AND next_due_at IS NOT NULL "
            "ORDER BY next_due_at, id LIMIT 51",
            "newest": "SELECT id FROM cases ORDER BY received_at DESC, id DESC LIMIT 51",
            "deep newest": "SELECT id FROM cases WHERE (received_at, id) < (now() - interval '200 days', 1) "
            "ORDER BY received_at DESC, id DESC LIMIT 51",
            "search": "SELECT id FROM cases WHERE title ILIKE '%停水%' "
            "ORDER BY received_at DESC, id DESC LIMIT 51",
        }.items():
            plan = db.session.execute(text("EXPLAIN " + sql)).scalars().all()
            plans[label] = [line for line in plan if "Index" in line or "Scan" in line][:3]
    print(f"baseline PK page: p50 {base['p50_ms']:.2f} ms, p95 {base['p95_ms']:.2f} ms")
    for name, r in results.items():
        print(
            f"{name:<40} p50 {r['p50_ms']:7.2f} ms  p95 {r['p95_ms']:7.2f} ms  "
            f"(p95 / baseline p95 = {r['p95_ms'] / base['p95_ms']:.1f}x)"
        )
    for label, lines in plans.items():
        print(f"plan[{label}]: " + " | ".join(s.strip() for s in lines))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {"cases": args.cases, "baseline": base, "scenarios": results, "plans": plans},
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
