"""Dashboard KPI queries at 10 million cases on PostgreSQL: from the rollups vs recomputed from raw cases.

Run:  .venv/bin/python bench/kpi_rollup_bench.py [--cases 10000000] [--reuse]
      [--url postgresql+psycopg://postgres@127.0.0.1:5432/qualityline_kpi_bench]

It (re)creates the bench database, builds the schema with the migrations and bulk-inserts synthetic cases
spread over three years with INSERT ... SELECT generate_series in chunks: every stage timestamp and
deadline filled by status, so every KPI family has numbers, and handling_workdays counted on the
statutory calendar as the reply action counts it. It then rebuilds the rollups (timed) and
times the dashboard's questions through the service functions, from the rollups (the dashboard's path)
and from the raw cases (the recomputation), checking both give the same numbers. Baseline in the same
session: a one-row primary-key lookup, the cheapest round trip. Results: bench/results/kpi_rollup.json.
Secondary indexes are dropped during the load and rebuilt after it (as a bulk loader would), except the
two trigram search indexes, which the KPI queries never use.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date, timedelta
from pathlib import Path

from benchdb import recreate_database, timed  # bench/ is on sys.path when run
from flask_migrate import upgrade
from sqlalchemy import text

from analytics.services import kpi_rollups, three_rate
from analytics.services.complaint_kpis import compute_complaint_kpis, compute_kpi_series
from complaints.services.catalogue import seed_catalogues
from core.app import create_app
from core.auth.services import create_department
from core.db import db
from core.workdays import load_calendar

RESULTS = Path(__file__).parent / "results" / "kpi_rollup.json"
CHUNK = 1_000_000
DEPARTMENTS = [(f"D{i:02d}", "350102") for i in range(1, 31)]

INSERT = """
INSERT INTO cases (tracking_code, access_key_hash, kind, channel, hotline, priority, category_code,
  region_code, title, description, respondent_name, respondent_credit_code_override, complainant_name,
  complainant_mobile, is_confidential, is_incomplete, status, department_id, policy_version, received_at,
  updated_at, decided_at, accepted_at, assigned_at, signed_at, contacted_at, replied_at, feedback_at,
  closed_at, acceptance_due_at, sign_due_at, contact_due_at, handling_due_at, feedback_due_at, next_due_at,
  extended_days, urge_count, return_count, reopen_count, outcome, loss_recovered, handling_workdays,
  rating, rated_resolved, rated_at, event_count, last_event_hash)
SELECT 'QL-K-' || lpad(g::text, 10, '0'), md5(g::text) || md5(g::text),
  (ARRAY['complaint','report','inquiry','help','suggestion','praise'])[(1 + g % 6)::int],
  (ARRAY['web','phone','wechat','app','email','letter','visit'])[(1 + (g / 7) % 7)::int],
  (ARRAY['12315','12345','12365','12369'])[(1 + (g / 3) % 4)::int], 'normal',
  c.codes[(1 + (g * 7919) % array_length(c.codes, 1))::int],
  r.codes[(1 + (g * 104729) % array_length(r.codes, 1))::int],
  '合成工单 #' || g, '合成数据', '商户' || (g % 5000), false, '张三', '13800138000', false, false,
  s.status,
  CASE WHEN s.stage >= 3 THEN d.ids[(1 + (g * 31) % array_length(d.ids, 1))::int] END,
  1, t.received, t.received,
  CASE WHEN s.stage >= 2 THEN t.decided END,
  CASE WHEN s.stage >= 2 THEN t.decided END,
  CASE WHEN s.stage >= 3 THEN t.decided + interval '2 hours' END,
  CASE WHEN s.stage >= 4 THEN t.decided + interval '2 hours' + ((g * 13) % 40) * interval '1 hour' END,
  CASE WHEN s.stage >= 4 AND g % 7 <> 0 THEN t.decided + ((g * 17) % 72 + 3) * interval '1 hour' END,
  CASE WHEN s.stage >= 5 THEN t.decided + ((g * 37) % 40) * interval '1 day' END,
  CASE WHEN s.stage >= 6
       THEN t.decided + ((g * 37) % 40) * interval '1 day' + ((g * 11) % 96) * interval '1 hour' END,
  CASE WHEN s.stage >= 6 THEN t.decided + ((g * 37) % 40 + 5) * interval '1 day' END,
  t.received + interval '9 days',
  CASE WHEN s.stage >= 3 THEN t.decided + interval '26 hours' END,
  CASE WHEN s.stage >= 3 THEN t.decided + interval '50 hours' END,
  CASE WHEN s.stage >= 2 THEN t.decided + interval '30 days' END,
  CASE WHEN s.stage >= 5 THEN t.decided + ((g * 37) % 40 + 3) * interval '1 day' END,
  CASE WHEN s.stage < 6 THEN t.received + interval '9 days' END,
  0, 0, 0, 0,
  CASE WHEN s.stage >= 5 THEN 'resolved' END,
  CASE WHEN s.stage >= 5 THEN ((g % 5) * 100)::numeric(12, 2) END,
  CASE WHEN s.stage >= 5 THEN
    (SELECT number FROM bench_workday_numbers
      WHERE day = ((t.decided + ((g * 37) % 40) * interval '1 day') AT TIME ZONE 'Asia/Shanghai')::date)
    - (SELECT number FROM bench_workday_numbers WHERE day = (t.decided AT TIME ZONE 'Asia/Shanghai')::date)
  END,
  CASE WHEN s.stage >= 6 AND g % 3 <> 0 THEN 1 + (g * 7) % 5 END,
  CASE WHEN s.stage >= 6 AND g % 3 <> 0 THEN g % 4 <> 0 END,
  CASE WHEN s.stage >= 6 AND g % 3 <> 0
       THEN t.decided + ((g * 37) % 40 + 6) * interval '1 day' END,
  0, repeat('0', 64)
FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) AS g
CROSS JOIN LATERAL (
  SELECT timestamptz '2024-01-01 08:00+08' + (g % 1096) * interval '1 day'
         + ((g * 7919) % 36000) * interval '1 second' AS received
) t0
CROSS JOIN LATERAL (SELECT t0.received, t0.received + ((g * 31) % 240) * interval '1 hour' AS decided) t
CROSS JOIN LATERAL (
  SELECT (ARRAY['registered','accepted','assigned','in_progress','replied','closed','closed','closed',
                'closed','rejected'])[(1 + (g * 7) % 10)::int] AS status
) s0
CROSS JOIN LATERAL (
  SELECT s0.status, CASE s0.status WHEN 'registered' THEN 1 WHEN 'rejected' THEN 2 WHEN 'accepted' THEN 2
    WHEN 'assigned' THEN 3 WHEN 'in_progress' THEN 4 WHEN 'replied' THEN 5 ELSE 6 END AS stage
) s
CROSS JOIN (SELECT array_agg(code ORDER BY code) AS codes FROM categories) c
CROSS JOIN (SELECT array_agg(code ORDER BY code) AS codes FROM regions WHERE code LIKE '3501%') r
CROSS JOIN (SELECT array_agg(id ORDER BY code) AS ids FROM departments) d
"""


def load(app, n: int) -> None:
    """Schema, catalogues, 30 departments, then n cases in chunks with the secondary indexes rebuilt after."""
    with app.app_context():
        upgrade()
        seed_catalogues()
        for code, region in DEPARTMENTS:
            create_department(code, code, region)
        indexes = db.session.execute(
            text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'cases' "
                "AND indexname NOT LIKE 'pk_%' AND indexname NOT LIKE 'uq_%'"
            )
        ).all()
        for name, _ in indexes:
            db.session.execute(text(f'DROP INDEX "{name}"'))
        # Working-day numbers from the statutory calendar, so handling_workdays is written as the reply
        # action writes it (a 10M-row UPDATE afterwards would cost more than the load).
        calendar = load_calendar("Asia/Shanghai")
        db.session.execute(text("CREATE TABLE bench_workday_numbers (day date PRIMARY KEY, number int)"))
        days = [date(2023, 12, 1) + timedelta(days=i) for i in range(1400)]
        db.session.execute(
            text("INSERT INTO bench_workday_numbers VALUES (:day, :number)"),
            [{"day": d, "number": calendar.workday_number(d)} for d in days],
        )
        db.session.commit()
        started = time.perf_counter()
        for lo in range(1, n + 1, CHUNK):
            db.session.execute(text(INSERT), {"lo": lo, "hi": min(n, lo + CHUNK - 1)})
            db.session.commit()
            print(f"  {min(n, lo + CHUNK - 1):,} cases ({time.perf_counter() - started:.0f} s)", flush=True)
        for name, definition in indexes:
            if not name.endswith("_trgm"):
                db.session.execute(text(definition))
                db.session.commit()
        db.session.execute(text("ANALYZE cases"))
        db.session.commit()
        print(f"loaded {n:,} cases with indexes in {time.perf_counter() - started:.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000_000)
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/qualityline_kpi_bench")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--raw-repeat", type=int, default=2)
    parser.add_argument("--reuse", action="store_true", help="Keep the loaded database of a previous run.")
    args = parser.parse_args()
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.url, "LOG_LEVEL": "WARNING"})
    if not args.reuse:
        recreate_database(args.url)
        load(app, args.cases)
    year, month = (date(2026, 1, 1), date(2027, 1, 1)), (date(2026, 3, 1), date(2026, 4, 1))
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
        print(f"rollup rebuild: {rows:,} rows in {rebuild_s:.1f} s", flush=True)

        def baseline():
            db.session.execute(text("SELECT id, status FROM cases WHERE id = 4242")).all()

        base = timed(baseline, args.repeat)
        results = {}
        for name, ask in questions.items():
            rolled = timed(lambda ask=ask: ask("rollup"), args.repeat)
            raw = timed(lambda ask=ask: ask("raw"), args.raw_repeat)
            same = ask("rollup") == ask("raw")
            results[name] = {"rollup": rolled, "raw": raw, "equal": same}
            print(
                f"{name:<22} rollup p50 {rolled['p50_ms']:7.1f} ms p95 {rolled['p95_ms']:7.1f} ms | "
                f"raw p50 {raw['p50_ms']:9.0f} ms | raw/rollup {raw['p50_ms'] / rolled['p50_ms']:6.0f}x | "
                f"equal {same}",
                flush=True,
            )
        cases = db.session.scalar(text("SELECT count(*) FROM cases"))
    print(f"baseline PK lookup: p50 {base['p50_ms']:.2f} ms, p95 {base['p95_ms']:.2f} ms")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "cases": cases,
                "rollup_rows": rows,
                "rebuild_seconds": round(rebuild_s, 1),
                "baseline": base,
                "questions": results,
            },
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
