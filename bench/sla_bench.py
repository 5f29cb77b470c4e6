"""SLA scan on PostgreSQL over the generated open cases, against a plain UPDATE baseline in the same session.

Run:  .venv/bin/python bench/sla_bench.py [--cases 1M] [--url postgresql+psycopg://...]
      (bench/run.py runs it at every size on the database it generated once; at 10M cases ~1M are open)

The generated cases carry the marks the scan would have left (due_soon, overdue, urged, escalated) and
the urge/escalate events. With VACUUM ANALYZE between the steps:

1. steady state: the scheduled scan (mark + urge) a minute after the data's "now": nothing to change,
   which is what runs every minute;
2. the next working day: just after the midnight that follows it, when that day's deadlines have all
   passed: they are marked overdue and urged (督办 event, audit hash, inbox notice) in the same scan,
   the heaviest regular run; this is the "SLA scan over the open cases" target (< 10 s);
3. deploy onto a full database: every mark cleared, then the first marking pass over all open cases,
   against the baseline `UPDATE cases SET sla_flag = 'overdue' WHERE next_due_at < now() AND
   sla_flag IS NULL`, the cheapest statement that writes the same overdue rows (timed, rolled back);
   (up to 1M cases: a one-off, ~15 min of rewriting rows at 10M on this machine), and the time to lock
   one urge batch out of that backlog;
4. a sample of the urged cases' audit chains is verified.
Results go to bench/results/sla.json (one entry per size).
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

from benchdb import DEFAULT_URL, build_database, parse_size, write_result
from sqlalchemy import and_, func, select, text

from complaints.models import Case, CaseEvent, SlaFlag
from complaints.services import sla
from complaints.services.audit import _verify_case
from core.db import db, utcnow
from core.workdays import load_calendar

TARGET_S = 10.0
DEPLOY_UP_TO = 1_000_000  # the one-off deploy scenario rewrites every overdue row: ~15 min at 10M here
BASELINE = "UPDATE cases SET sla_flag = 'overdue' WHERE next_due_at < :now AND sla_flag IS NULL"


def vacuum() -> None:
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE cases"))


def clock(fn) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def measure(app, n: int, log=print) -> dict:
    """Run the scan scenarios on the loaded database (it changes marks and adds urge events)."""
    out: dict = {"target_s": TARGET_S}
    with app.app_context():
        open_cases = db.session.scalar(
            select(func.count()).select_from(Case).where(Case.status.not_in(("closed", "merged")))
        )
        with_deadline = db.session.scalar(
            select(func.count()).select_from(Case).where(Case.next_due_at.is_not(None))
        )
        flags = dict(
            db.session.execute(
                text(
                    "SELECT coalesce(sla_flag, 'none'), count(*) FROM cases "
                    "WHERE next_due_at IS NOT NULL GROUP BY 1"
                )
            ).all()
        )
        out.update({"open_cases": open_cases, "open_with_deadline": with_deadline, "flags_before": flags})
        log(f"  {open_cases:,} open cases, {with_deadline:,} with a running deadline; marks {flags}")
        vacuum()
        now = utcnow()

        steady_s, steady = clock(lambda: sla.scan_deadlines(now))
        out["steady_scan"] = {"seconds": steady_s, **steady}
        log(f"  steady scan (mark + urge): {steady} in {steady_s * 1e3:.1f} ms")

        # The heaviest regular run: just after midnight following the next working day, when that day's
        # deadlines have all passed and are marked and urged at once.
        day = sla.due_soon_horizon(load_calendar(app.config["TIMEZONE"]), now, 1) + timedelta(seconds=61)
        # What scan_deadlines(day) does, timed in its two halves.
        mark_s, marks = clock(lambda: sla.mark_deadlines(day))
        urge_s, urged = clock(lambda: sla.urge_overdue(day))
        notices = db.session.scalar(text("SELECT count(*) FROM notifications"))
        out["next_day_scan"] = {
            "seconds": mark_s + urge_s,
            "mark_seconds": mark_s,
            "urge_seconds": urge_s,
            "newly_overdue": marks.overdue,
            "newly_due_soon": marks.due_soon,
            "cleared": marks.cleared,
            "urged": urged,
            "urged_per_second": urged / urge_s if urge_s else None,
            "notices": notices,
            "met": mark_s + urge_s < TARGET_S,
        }
        log(
            f"  next day: {marks.overdue:,} newly overdue + {marks.due_soon:,} due soon marked "
            f"in {mark_s:.2f} s; "
            f"{urged:,} urged in {urge_s:.2f} s ({urged / urge_s if urge_s else 0:,.0f}/s) "
            f"-> {mark_s + urge_s:.2f} s (target < {TARGET_S:.0f} s)"
        )
        problems = 0
        urged_ids = select(CaseEvent.case_id).where(CaseEvent.action == "urge").order_by(CaseEvent.id.desc())
        for case in db.session.scalars(select(Case).where(Case.id.in_(urged_ids.limit(1000)))):
            chain = list(
                db.session.scalars(
                    select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
                )
            )
            problems += len(_verify_case(case, chain))
        out["audit_sample_problems"] = problems

        if n > DEPLOY_UP_TO:
            log(f"  deploy scenario skipped above {DEPLOY_UP_TO:,} cases (one-off; slope in scaling.json)")
            return out
        # Deploy onto a full database: no marks yet.
        db.session.execute(text("UPDATE cases SET sla_flag = NULL WHERE sla_flag IS NOT NULL"))
        vacuum()
        # The baseline's UPDATE is timed, then rolled back (instant in PostgreSQL), which spares resetting
        # the flags of every overdue case a second time.
        base_s, base = clock(lambda: db.session.execute(text(BASELINE), {"now": now}))
        db.session.rollback()
        out["baseline"] = {"seconds": base_s, "rows": base.rowcount, "sql": BASELINE}
        vacuum()
        first_s, first = clock(lambda: sla.mark_deadlines(now))
        out["first_pass"] = {
            "seconds": first_s,
            "overdue": first.overdue,
            "due_soon": first.due_soon,
            "vs_baseline": first_s / base_s,
        }
        log(
            f"  baseline plain UPDATE: {base.rowcount:,} rows in {base_s:.2f} s; "
            "first marking pass after deploy: "
            f"{first.overdue:,} overdue + {first.due_soon:,} due soon in {first_s:.2f} s "
            f"({first_s / base_s:.2f}x the baseline); audit sample problems: {problems}"
        )
        # The urge pass then works through that backlog in locked batches of 500: one batch's query must
        # not grow with the backlog (it did: a sort of every candidate per batch, see PERFORMANCE.md).
        urge_where = and_(Case.sla_flag == SlaFlag.OVERDUE.value, Case.next_due_at < now)
        batch_s, batch = clock(lambda: sla._locked_batch(urge_where))
        db.session.rollback()
        out["urge_batch_query"] = {"seconds": batch_s, "candidates": first.overdue, "batch": len(batch)}
        log(f"  one urge batch ({len(batch)} of {first.overdue:,} overdue) locked in {batch_s * 1e3:.0f} ms")
        plans = {}
        db.session.execute(text("SET LOCAL enable_seqscan = off"))  # as mark_deadlines does
        for label, sql in {
            "mark overdue chunk": "SELECT id FROM cases WHERE sla_flag IS NULL AND next_due_at < now() "
            "LIMIT 5000",
            "urge candidates": "SELECT id FROM cases WHERE sla_flag = 'overdue' AND next_due_at < now() "
            "ORDER BY next_due_at LIMIT 500 FOR UPDATE SKIP LOCKED",
        }.items():
            plan = db.session.execute(text("EXPLAIN " + sql)).scalars().all()
            plans[label] = [line.strip() for line in plan if "Index" in line or "Scan" in line][:3]
        db.session.rollback()
        out["plans"] = plans
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=parse_size, default=1_000_000)
    parser.add_argument("--url", default=DEFAULT_URL)
    args = parser.parse_args()
    app, _ = build_database(args.url, args.cases)
    write_result("sla", args.cases, measure(app, args.cases))


if __name__ == "__main__":
    main()
