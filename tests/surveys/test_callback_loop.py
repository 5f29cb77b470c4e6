"""The call-back (回访) loop end to end: case replied -> invitation after the policy's delay -> the
citizen's answer -> rectification and reopen (or close), with the complaint KPIs counting the rating."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from complaints.models import Case, CaseEvent, KpiDaily, Notification, Rectification
from complaints.services import followup, rollups
from complaints.services.audit import verify_audit_chain
from core.clock import travel_to
from core.db import db
from surveys.models import SurveyInvitation, SurveyResponse
from surveys.services import definitions, responses
from tests.complaints.test_lifecycle_api import Flow
from tests.web.test_pages import csrf

SHANGHAI = ZoneInfo("Asia/Shanghai")
REPLIED = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)
INVITED = REPLIED + timedelta(hours=24, minutes=30)  # the default policy waits 24 hours


def replied_case(client, org) -> Flow:
    with travel_to(REPLIED):
        return Flow(client, org).to_replied()


def invitation_link(flow: Flow) -> str:
    with travel_to(INVITED):
        assert followup.send_callback_invitations() == 1
    case = db.session.scalar(select(Case).where(Case.tracking_code == flow.code))
    [notice] = db.session.scalars(
        select(Notification).where(
            Notification.case_id == case.id, Notification.template == "callback_invitation"
        )
    ).all()
    return notice.params["link"]


def case_of(flow: Flow) -> Case:
    db.session.expire_all()
    return db.session.scalar(select(Case).where(Case.tracking_code == flow.code))


def test_dissatisfied_answer_opens_rectification_and_reopens_the_case(client, org, templates):
    flow = replied_case(client, org)
    link = invitation_link(flow)
    token = re.fullmatch(r"http://127\.0\.0\.1:8000/s/t/([\w\-]+)", link).group(1)
    invitation = db.session.scalar(select(SurveyInvitation))
    assert invitation.case_id == case_of(flow).id and invitation.contact == "13800138000"
    assert invitation.attributes == {"district": "350102"} and token not in invitation.token_hash

    with travel_to(INVITED + timedelta(hours=2)):
        page = client.get(f"/s/t/{token}")
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and flow.code in html and "诉求办理结果回访" in html
        posted = client.post(
            f"/s/t/{token}",
            data={
                "satisfaction": "2",
                "resolved": "no",
                "comment": "商家没有退款",
                "csrf_token": csrf(client, f"/s/t/{token}"),
            },
        )
        assert posted.status_code == 302
        thanks = client.get(posted.headers["Location"]).get_data(as_text=True)
        assert "重新" in thanks  # the citizen is told the case will be handled again

    case = case_of(flow)
    assert case.status == "in_progress" and case.reopen_count == 1
    assert (case.rating, case.rated_resolved, case.rating_comment) == (2, False, "商家没有退款")
    [task] = db.session.scalars(select(Rectification)).all()
    assert task.case_id == case.id and task.rating == 2 and task.status == "open"
    rate = db.session.scalar(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "rate")
    )
    assert rate.payload == {"rating": 2, "resolved": False, "source": "callback_survey"}
    trail = select(CaseEvent.action).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
    assert list(db.session.scalars(trail))[-2:] == ["rate", "reopen"]
    response = db.session.scalar(select(SurveyResponse))
    assert response.channel == "callback" and response.case_rating_applied and response.district == "350102"
    assert verify_audit_chain()[1] == []

    # The complaint KPIs count the call-back rating like any other.
    with travel_to(INVITED + timedelta(days=1)):
        rollups.roll_up_day(date(2026, 11, 3))
    assert db.session.scalar(select(func.sum(KpiDaily.rated))) == 1
    assert db.session.scalar(select(func.sum(KpiDaily.satisfied))) == 0
    # The token is spent; the tracking page cannot rate the same reply again either.
    with travel_to(INVITED + timedelta(hours=3)):
        assert client.get(f"/s/t/{token}").status_code == 409
        assert flow.rate(5).status_code == 409


def test_satisfied_answer_closes_the_replied_case(client, org, templates):
    flow = replied_case(client, org)
    token = invitation_link(flow).rsplit("/", 1)[1]
    with travel_to(INVITED + timedelta(hours=1)):
        answered = client.post(
            "/api/v1/surveys/hotline-callback/responses",
            json={"answers": {"satisfaction": 5, "resolved": True}, "token": token},
        )
    assert answered.status_code == 201 and answered.json["case_rating_applied"] is True
    case = case_of(flow)
    assert case.status == "closed" and case.rating == 5 and case.feedback_channel == "callback_survey"
    assert db.session.scalar(select(func.count()).select_from(Rectification)) == 0


def test_one_click_rating_reaches_the_case_after_the_grace_period(client, org, app, templates):
    flow = replied_case(client, org)
    token = invitation_link(flow).rsplit("/", 1)[1]
    clicked = INVITED + timedelta(hours=1)
    with travel_to(clicked):
        assert client.get(f"/s/t/{token}?satisfaction=1").status_code == 200
    grace = timedelta(minutes=app.config["SURVEY_PARTIAL_GRACE_MINUTES"])
    with travel_to(clicked + grace - timedelta(minutes=1)):
        assert responses.finalize_idle_callbacks() == 0
    with travel_to(clicked + grace + timedelta(minutes=1)):
        assert responses.finalize_idle_callbacks() == 1
        assert responses.finalize_idle_callbacks() == 0
    case = case_of(flow)
    assert case.rating == 1 and case.rated_resolved is None and case.status == "in_progress"
    # Finishing the survey later stores the rest but does not rate the case twice.
    with travel_to(clicked + timedelta(hours=2)):
        done = client.post(
            "/api/v1/surveys/hotline-callback/responses",
            json={"answers": {"satisfaction": 1, "resolved": False}, "token": token},
        )
    assert done.status_code == 201 and done.json["status"] == "complete"
    assert (
        db.session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.action == "rate")) == 1
    )


def test_a_new_reply_replaces_the_old_invitation(client, org, templates):
    flow = replied_case(client, org)
    old_token = invitation_link(flow).rsplit("/", 1)[1]
    with travel_to(INVITED + timedelta(hours=1)):
        flow.act("reopen", "supervisor", {"reason": "复核"})
        flow.act("reply", "handler", {"outcome": "resolved", "reply": "已重新处理", "loss_recovered": None})
    with travel_to(INVITED + timedelta(hours=26)):
        assert followup.send_callback_invitations() == 1
        old = client.post(
            "/api/v1/surveys/hotline-callback/responses",
            json={"answers": {"satisfaction": 1, "resolved": False}, "token": old_token},
        )
    assert old.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(SurveyInvitation)) == 2


def test_without_an_open_callback_survey_the_tracking_link_is_sent(client, org, templates):
    definitions.close_survey("hotline-callback")
    flow = replied_case(client, org)
    assert invitation_link(flow) == "http://127.0.0.1:8000/track"
    assert db.session.scalar(select(func.count()).select_from(SurveyInvitation)) == 0
