"""SLA scan at 1 million open cases on PostgreSQL, against a plain UPDATE baseline in the same session.

Run:  PYTHONPATH=. .venv/bin/python bench/sla_bench.py [--cases 1000000] [--url postgresql+psycopg://postgres@127.0.0.1/qualityline_sla_bench]

It (re)creates the bench database, builds the schema with the migrations and bulk-inserts open cases
(registered .. replied, deadlines from 30 days ago to 70 days ahead: ~30 % overdue) with one
INSERT ... SELECT generate_series. Then, with VACUUM ANALYZE between the steps:

1. baseline: `UPDATE cases SET sla_flag = 'overdue' WHERE next_due_at < now()`, the cheapest statement
   that touches the same overdue rows; the flags are reset afterwards;
2. first marking pass (complaints.services.sla.mark_deadlines): every overdue and due-soon case marked,
   as after deploying the migration onto a full database; ratio to the baseline;
3. steady state: the same pass a minute later (nothing changed), which is what runs every minute;
4. the next day: the overdue cases so far count as urged on earlier days, and a day's worth of deadlines
   (1 % of the cases) falls due: the pass marks them (and the next day's due-soon ones);
5. urge pass the day after: those newly overdue cases get their 督办 event, audit hash and inbox notice;
6. a sample of the urged cases' audit chains is verified.
Results go to bench/results/sla.json.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import timedelta
from pathlib import Path

from benchdb import recreate_database  # bench/ is on sys.path when run
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from complaints.models import Case, CaseEvent, Notification
from complaints.services import sla
from complaints.services.audit import _verify_case
from complaints.services.catalogue import create_routing_rule, seed_catalogues
from core.app import create_app
from core.auth.services import create_department
from core.db import db, utcnow

RESULTS = Path(__file__).parent / "results" / "sla.json"
DEPARTMENTS = [("GL-SCJG", "350102"), ("TJ-SCJG", "350103"), ("CS-SCJG", "350104"), ("JA-SCJG", "350111")]

INSERT = """
INSERT INTO cases (tracking_code, access_key_hash, kind, channel, hotline, priority, category_code,
  region_code, title, description, respondent_name, respondent_credit_code_override, complainant_name,
  complainant_mobile, is_confidential, is_incomplete, status, department_id, policy_version, received_at,
  updated_at, acceptance_due_at, handling_due_at, feedback_due_at, next_due_at, extended_days, urge_count,
  return_count, reopen_count, event_count, last_event_hash)
SELECT 'QL-S-' || lpad(g::text, 9, '0'), md5(g::text) || md5(g::text),
  (ARRAY['complaint','report','inquiry','help','suggestion'])[1 + g % 5], 'web', '12345', 'normal',
  (ARRAY['G0101','G0102','S0401','S1401','P01','A03'])[1 + g % 6],
  (ARRAY['350102','350103','350104','350111'])[1 + g % 4],
  '合成数据 #' || g, '合成数据', '商户' || (g % 5000), false, '张三', '13800138000', false, false,
  s.status, CASE WHEN s.status IN ('assigned','in_progress') THEN d.ids[1 + g % 4] END,
  1, now() - interval '40 days', now(), d.due, d.due, d.due, d.due, 0, 0, 0, 0, 0, repeat('0', 64)
FROM generate_series(1, :n) AS g
CROSS JOIN LATERAL (SELECT (ARRAY['registered','accepted','assigned','in_progress','in_progress',
  'in_progress','replied'])[1 + g % 7] AS status) s
CROSS JOIN LATERAL (SELECT (SELECT array_agg(id ORDER BY code) FROM departments) AS ids,
  now() - interval '30 days' + (g % 100000) * interval '86.4 seconds' AS due) d
"""
BASELINE = "UPDATE cases SET sla_flag = 'overdue' WHERE next_due_at < now()"


def vacuum() -> None:
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE cases"))


def timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/qualityline_sla_bench")
    args = parser.parse_args()
    recreate_database(args.url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.url, "LOG_LEVEL": "WARNING"})
    out: dict = {"cases": args.cases}
    with app.app_context():
        upgrade()
        seed_catalogues()
        for code, region in DEPARTMENTS:
            create_department(code, code, region)
            create_routing_rule("G", code, region)
        load_seconds, _ = timed(lambda: db.session.execute(text(INSERT), {"n": args.cases}))
        db.session.commit()
        vacuum()
        print(f"loaded {args.cases:,} open cases in {load_seconds:.1f} s")

        base_seconds, base = timed(lambda: db.session.execute(text(BASELINE)))
        db.session.commit()
        out["baseline"] = {"seconds": base_seconds, "rows": base.rowcount, "sql": BASELINE}
        print(f"baseline plain UPDATE: {base.rowcount:,} rows in {base_seconds:.2f} s")
        db.session.execute(text("UPDATE cases SET sla_flag = NULL WHERE sla_flag IS NOT NULL"))
        vacuum()

        now = utcnow()
        first_seconds, first = timed(lambda: sla.mark_deadlines(now))
        out["first_pass"] = {"seconds": first_seconds, "overdue": first.overdue, "due_soon": first.due_soon}
        out["first_pass_vs_baseline"] = first_seconds / base_seconds
        print(
            f"first marking pass: {first.overdue:,} overdue + {first.due_soon:,} due soon in "
            f"{first_seconds:.2f} s ({first_seconds / base_seconds:.2f}x the baseline)"
        )
        vacuum()
        steady_seconds, steady = timed(lambda: sla.mark_deadlines(now + timedelta(minutes=1)))
        out["steady_pass"] = {"seconds": steady_seconds, "changed": steady.overdue + steady.due_soon}
        print(
            f"steady pass a minute later: {steady.overdue + steady.due_soon} changes "
            f"in {steady_seconds * 1e3:.1f} ms"
        )

        # History: everything overdue so far was urged on earlier days. Then one day passes: a day's worth
        # of deadlines (1/100 of the cases) falls due, and the day after that they are urged.
        db.session.execute(text("UPDATE cases SET sla_flag = 'urged' WHERE sla_flag = 'overdue'"))
        vacuum()
        day_seconds, day = timed(lambda: sla.mark_deadlines(now + timedelta(days=1)))
        out["next_day_pass"] = {"seconds": day_seconds, "overdue": day.overdue, "due_soon": day.due_soon}
        print(
            f"next day's pass: {day.overdue:,} newly overdue + {day.due_soon:,} newly due soon in "
            f"{day_seconds:.2f} s"
        )
        later = now + timedelta(days=2)
        pending = db.session.scalar(select(func.count()).select_from(Case).where(Case.sla_flag == "overdue"))
        urge_seconds, urged = timed(lambda: sla.urge_overdue(later))
        events = db.session.scalar(
            select(func.count()).select_from(CaseEvent).where(CaseEvent.action == "urge")
        )
        notices = db.session.scalar(select(func.count()).select_from(Notification))
        out["urge_pass"] = {
            "candidates": pending,
            "urged": urged,
            "seconds": urge_seconds,
            "per_second": urged / urge_seconds if urge_seconds else None,
            "events": events,
            "notices": notices,
        }
        print(
            f"urge pass: {urged:,} of {pending:,} overdue urged (complaints in mediation are ended, "
            f"not urged) in {urge_seconds:.2f} s = {urged / urge_seconds:,.0f} cases/s; "
            f"{events:,} events, {notices:,} notices"
        )
        again_seconds, again = timed(lambda: sla.urge_overdue(later))
        out["urge_again"] = {"urged": again, "seconds": again_seconds}

        problems = 0
        urged_ids = select(CaseEvent.case_id).where(CaseEvent.action == "urge").limit(2000)
        for case in db.session.scalars(select(Case).where(Case.id.in_(urged_ids))):
            chain = list(
                db.session.scalars(
                    select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
                )
            )
            problems += len(_verify_case(case, chain))
        out["audit_sample_problems"] = problems
        print(
            f"second urge pass: {again} urged in {again_seconds * 1000:.1f} ms; "
            f"audit sample problems: {problems}"
        )

        plans = {}
        db.session.execute(text("SET LOCAL enable_seqscan = off"))  # as mark_deadlines does
        for label, sql in {
            "mark overdue chunk": "SELECT id FROM cases WHERE sla_flag IS NULL AND next_due_at < now() "
            "LIMIT 5000",
            "urge candidates": "SELECT id FROM cases WHERE sla_flag = 'overdue' AND next_due_at < now() "
            "ORDER BY next_due_at, id LIMIT 500",
        }.items():
            plan = db.session.execute(text("EXPLAIN ANALYZE " + sql)).scalars().all()
            plans[label] = [line.strip() for line in plan if "Index" in line or "Scan" in line][:3]
            print(f"plan[{label}]: " + " | ".join(plans[label]))
        db.session.rollback()
        out["plans"] = plans
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
