"""The SLA engine and the follow-up jobs on a real database, with the clock moved by travel_to."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from complaints import jobs
from complaints.models import Case, CaseEvent, Notification, Rectification
from complaints.notifications.delivery import deliver_due
from complaints.services import followup, mediation, sla
from complaints.services.audit import verify_audit_chain
from core.clock import travel_to
from core.db import db
from core.scheduler.models import SchedulerJobStat
from tests.complaints.test_lifecycle_api import Flow
from tests.complaints.test_notifications import sms_gateway  # noqa: F401 (fixture)
from tests.conftest import complaint_body

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def case_of(flow: Flow) -> Case:
    db.session.expire_all()
    return db.session.scalar(select(Case).where(Case.tracking_code == flow.code))


def events(flow: Flow, action: str) -> list[CaseEvent]:
    return list(
        db.session.scalars(
            select(CaseEvent)
            .join(Case, Case.id == CaseEvent.case_id)
            .where(Case.tracking_code == flow.code, CaseEvent.action == action)
            .order_by(CaseEvent.seq)
        )
    )


def notices(template: str) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.template == template)))


def scan(moment: datetime) -> dict[str, int]:
    with travel_to(moment):
        return sla.scan_deadlines()


def test_deadlines_across_the_national_day_holiday(client, org):
    # Tue 29 Sep 2026: the holiday runs 1-7 Oct, Sat 10 Oct is a make-up working day.
    with travel_to(at(2026, 9, 29, 10, 0)):
        inquiry = Flow(client, org, kind="inquiry", respondent={})
        inquiry.act("accept", "dispatcher")  # 3 WD: 30 Sep, 8 Oct, 9 Oct -> due end of Fri 9 Oct
        waiting = Flow(client, org)  # acceptance 7 WD: ... 12, 13, 14 Oct
    assert case_of(inquiry).handling_due_at == at(2026, 10, 9, 23, 59, 59)

    scan(at(2026, 10, 3, 12, 0))  # three calendar days later, but no working day has passed
    assert case_of(inquiry).sla_flag is None and case_of(waiting).sla_flag is None
    scan(at(2026, 10, 8, 10, 0))
    assert case_of(inquiry).sla_flag == "due_soon" and case_of(waiting).sla_flag is None
    assert scan(at(2026, 10, 9, 23, 0))["urged"] == 0
    assert case_of(inquiry).sla_flag == "due_soon"

    # The day after the deadline (the make-up Saturday): overdue and urged, once.
    assert scan(at(2026, 10, 10, 0, 30)) == {"cleared": 0, "due_soon": 0, "overdue": 1, "urged": 1}
    assert scan(at(2026, 10, 10, 0, 31))["urged"] == 0
    case = case_of(inquiry)
    assert case.sla_flag == "urged" and case.urge_count == 1
    [urge] = events(inquiry, "urge")
    assert urge.actor_role == "system" and urge.actor_id is None and urge.to_state == "accepted"
    assert urge.payload["stage"] == "accepted" and urge.payload["auto"] is True
    [notice] = notices("sla_urge")
    assert (notice.channel, notice.recipient) == ("in_app", "role:dispatcher")

    # Escalation counts working days after the deadline day: Sat 10 (make-up) and Mon 12 Oct.
    for moment in (at(2026, 10, 10, 12, 0), at(2026, 10, 11, 12, 0)):
        with travel_to(moment):
            assert sla.escalate_overdue() == 0
    with travel_to(at(2026, 10, 12, 9, 0)):
        assert sla.escalate_overdue() == 1
        assert sla.escalate_overdue() == 0
    [escalation] = events(inquiry, "escalate")
    assert escalation.actor_role == "system" and case_of(inquiry).sla_flag == "escalated"
    assert [n.recipient for n in notices("sla_escalation")] == ["role:supervisor"]

    # The unaccepted case: due end of 14 Oct counted in working days, urged on the 15th only.
    scan(at(2026, 10, 14, 12, 0))
    assert case_of(waiting).sla_flag == "due_soon"
    scan(at(2026, 10, 15, 0, 30))
    assert case_of(waiting).sla_flag == "urged" and len(events(waiting, "urge")) == 1
    assert verify_audit_chain()[1] == []


def test_each_missed_deadline_is_urged_exactly_once(client, org):
    with travel_to(at(2026, 11, 2, 10, 0)):  # Mon; no holidays that week
        flow = Flow(client, org, kind="inquiry", respondent={})
        flow.act("accept", "dispatcher")  # handling due end of Thu 5 Nov
        flow.act("assign", "dispatcher", {"department_code": "GL-SCJG"})  # sign due end of Tue 3 Nov
    for minute in range(3):
        scan(at(2026, 11, 4, 0, 30 + minute))
    [urge] = events(flow, "urge")
    assert urge.payload["stage"] == "assigned"
    assert [n.recipient for n in notices("sla_urge")] == ["department:GL-SCJG"]

    with travel_to(at(2026, 11, 6, 9, 0)):
        flow.act("sign", "handler")  # late; the new current deadline (handling) has also passed
    assert case_of(flow).sla_flag is None  # a new deadline starts unmarked
    for minute in range(3):
        scan(at(2026, 11, 6, 9, 5 + minute))
    urges = events(flow, "urge")
    assert [u.payload["stage"] for u in urges] == ["assigned", "in_progress"]
    assert case_of(flow).urge_count == 2 and len(notices("sla_urge")) == 2

    # A deadline moved into the future clears the mark; replying ends the handling stage.
    with travel_to(at(2026, 11, 6, 10, 0)):
        flow.act("reply", "handler", {"outcome": "resolved", "reply": "已答复", "loss_recovered": None})
    scan(at(2026, 11, 6, 10, 1))
    assert case_of(flow).sla_flag is None
    assert verify_audit_chain()[1] == []


def test_hour_deadlines_are_urged_on_the_next_local_day(client, org):
    body = {**complaint_body(), "channel": "phone", "priority": "urgent"}
    with travel_to(at(2026, 11, 2, 10, 0)):
        created = client.post("/api/v1/cases", json=body, headers=org.auth("operator"))
    assert created.status_code == 201
    case = db.session.scalar(select(Case))
    assert case.acceptance_due_at == at(2026, 11, 2, 12, 0)
    assert scan(at(2026, 11, 2, 13, 0)) == {"cleared": 0, "due_soon": 0, "overdue": 1, "urged": 0}
    assert scan(at(2026, 11, 3, 0, 5))["urged"] == 1


def test_mediation_ends_at_the_limit_with_notices(client, org):
    with travel_to(at(2026, 11, 2, 10, 0)):
        complaint = Flow(client, org).to_in_progress()
        inquiry = Flow(client, org, kind="inquiry", respondent={}).to_in_progress()
    limit = case_of(complaint).handling_due_at
    day_after = limit + timedelta(minutes=5)
    assert scan(day_after)["urged"] == 1  # the inquiry; the complaint is not urged but ended
    with travel_to(limit - timedelta(hours=1)):
        assert mediation.terminate_expired_mediations() == 0
    with travel_to(day_after):
        assert mediation.terminate_expired_mediations() == 1
        assert mediation.terminate_expired_mediations() == 0
    case = case_of(complaint)
    assert case.status == "replied" and case.outcome == "unresolved" and case.feedback_due_at > day_after
    [reply] = events(complaint, "reply")
    assert reply.actor_role == "system" and reply.payload["mediation_terminated"] is True
    assert case_of(inquiry).status == "in_progress"
    [citizen] = notices("mediation_terminated")
    assert (citizen.channel, citizen.recipient) == ("sms", "13800138000")
    [staff] = notices("mediation_terminated_staff")
    assert staff.recipient == "department:GL-SCJG"
    assert events(complaint, "urge") == []
    assert verify_audit_chain()[1] == []


def test_feedback_watchdog_records_delivered_results(client, org, sms_gateway):  # noqa: F811
    with travel_to(at(2026, 11, 2, 10, 0)):
        replied = Flow(client, org).to_replied()
        rejected = Flow(client, org)
        rejected.act("reject", "dispatcher", {"reason_code": 3, "reason": "经营性购买"})
        undelivered = Flow(client, org, complainant={"name": "李四", "mobile": "13900139000"}).to_replied()
    sms_gateway.fail_for("13900139000", 503)
    with travel_to(at(2026, 11, 2, 10, 5)):
        deliver_due()
    with travel_to(at(2026, 11, 2, 10, 6)):
        assert followup.record_delivered_feedback() == 2
        assert followup.record_delivered_feedback() == 0
    for flow in (replied, rejected):
        case = case_of(flow)
        assert case.feedback_at == at(2026, 11, 2, 10, 5) and case.feedback_channel == "sms"
        [feedback] = events(flow, "feedback")
        assert feedback.actor_role == "system" and feedback.payload["notice_id"]
    assert case_of(undelivered).feedback_at is None
    with travel_to(at(2026, 11, 2, 11, 0)):
        assert replied.act("close", "operator")["status"] == "closed"
    assert verify_audit_chain()[1] == []


def test_callback_invitation_once_per_reply_after_the_delay(client, org):
    with travel_to(at(2026, 11, 2, 10, 0)):
        flow = Flow(client, org).to_replied()
        rated = Flow(client, org).to_replied()
        assert rated.rate(5).status_code == 200
    with travel_to(at(2026, 11, 3, 9, 0)):  # 23 h: the policy says 24
        assert followup.send_callback_invitations() == 0
    with travel_to(at(2026, 11, 3, 10, 30)):
        assert followup.send_callback_invitations() == 1
        assert followup.send_callback_invitations() == 0
    [invitation] = notices("callback_invitation")
    assert invitation.params["link"] == "http://127.0.0.1:8000/track"
    assert invitation.case_id == case_of(flow).id

    # Reopened and replied again: the new reply gets its own invitation.
    with travel_to(at(2026, 11, 4, 9, 0)):
        flow.act("reopen", "supervisor", {"reason": "复核"})
        flow.act("reply", "handler", {"outcome": "resolved", "reply": "已重新处理", "loss_recovered": None})
    with travel_to(at(2026, 11, 5, 9, 30)):
        assert followup.send_callback_invitations() == 1
    # Replies older than CALLBACK_MAX_AGE_DAYS are not surveyed after an outage.
    with travel_to(at(2026, 11, 6, 9, 0)):
        old = Flow(client, org).to_replied()
    with travel_to(at(2026, 11, 15, 9, 0)):
        assert followup.send_callback_invitations() == 0
    assert len(notices("callback_invitation")) == 2 and old.code


def test_overdue_rectification_is_flagged_once(client, org):
    with travel_to(at(2026, 11, 2, 10, 0)):
        flow = Flow(client, org).to_replied()
        assert flow.rate(2, resolved=False, comment="没有解决").status_code == 200
    task = db.session.scalar(select(Rectification))
    with travel_to(task.due_at - timedelta(minutes=1)):
        assert followup.flag_overdue_rectifications() == 0
    with travel_to(task.due_at + timedelta(minutes=1)):
        assert followup.flag_overdue_rectifications() == 1
        assert followup.flag_overdue_rectifications() == 0
    assert db.session.scalar(select(Rectification)).overdue_at is not None
    assert sorted(n.recipient for n in notices("rectification_overdue")) == [
        "department:GL-SCJG",
        "role:supervisor",
    ]


def test_jobs_run_their_service_and_count_runs(client, org):
    with travel_to(at(2026, 11, 2, 10, 0)):
        Flow(client, org)
    with travel_to(at(2026, 11, 20, 10, 0)):
        for job in (jobs.sla_scan, jobs.sla_escalation, jobs.outbox_delivery, jobs.sla_scan):
            job()
    stats = {s.job_id: s for s in db.session.scalars(select(SchedulerJobStat))}
    assert stats["complaints.sla_scan"].runs == 2 and stats["complaints.sla_scan"].failures == 0
    assert stats["complaints.outbox_delivery"].last_success_at == at(2026, 11, 20, 10, 0)
    assert (
        db.session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.action == "urge")) == 1
    )
    logged = select(func.count()).select_from(Notification).where(Notification.status == "logged")
    assert db.session.scalar(logged) >= 1  # no SMS gateway configured: written to the log only
