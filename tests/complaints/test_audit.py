"""The hash-chained audit log and `flask complaints verify-audit`."""

from sqlalchemy import delete, select, update

from complaints.models import Case, CaseEvent
from core.db import db
from tests.complaints.test_lifecycle_api import Flow


def verify(ctx):
    return ctx.test_cli_runner().invoke(args=["complaints", "verify-audit"])


def test_intact_chain_verifies(ctx, client, org):
    Flow(client, org).to_replied()
    Flow(client, org)
    result = verify(ctx)
    assert result.exit_code == 0 and "intact for 2 cases" in result.output


def test_each_event_chains_to_the_previous(client, org):
    flow = Flow(client, org).to_in_progress()
    events = client.get(f"/api/v1/cases/{flow.code}/events", headers=org.auth("supervisor")).json
    rows = db.session.scalars(select(CaseEvent).order_by(CaseEvent.seq)).all()
    assert rows[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:], strict=False))
    assert [e["hash"] for e in events] == [r.hash for r in rows]


def test_altered_event_is_detected(ctx, client, org):
    flow = Flow(client, org).to_in_progress()
    db.session.execute(update(CaseEvent).where(CaseEvent.seq == 2).values(reason="edited afterwards"))
    db.session.commit()
    result = verify(ctx)
    assert result.exit_code == 1 and f"{flow.code} event 2: event altered" in result.output


def test_altered_actor_or_time_is_detected(ctx, client, org):
    Flow(client, org).to_in_progress()
    db.session.execute(update(CaseEvent).where(CaseEvent.seq == 3).values(actor_role="admin"))
    db.session.commit()
    assert verify(ctx).exit_code == 1


def test_removed_middle_event_is_detected(ctx, client, org):
    flow = Flow(client, org).to_in_progress()
    db.session.execute(delete(CaseEvent).where(CaseEvent.seq == 2))
    db.session.commit()
    result = verify(ctx)
    assert result.exit_code == 1 and f"{flow.code} event 2: event missing" in result.output


def test_removed_latest_event_is_detected(ctx, client, org):
    flow = Flow(client, org).to_in_progress()
    last = db.session.scalar(select(CaseEvent.seq).order_by(CaseEvent.seq.desc()).limit(1))
    db.session.execute(delete(CaseEvent).where(CaseEvent.seq == last))
    db.session.commit()
    result = verify(ctx)
    assert result.exit_code == 1 and "latest event missing" in result.output and flow.code in result.output


def test_rewritten_case_head_is_detected(ctx, client, org):
    Flow(client, org)
    db.session.execute(update(Case).values(last_event_hash="f" * 64))
    db.session.commit()
    assert verify(ctx).exit_code == 1
