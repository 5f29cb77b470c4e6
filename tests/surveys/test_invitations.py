"""Invitations: contact-list batches, single-use hashed tokens, expiry, one click, reminders, delivery."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from core.clock import travel_to
from core.db import db
from surveys.models import SurveyInvitation, SurveyMessage, SurveyResponse
from surveys.services import delivery, invitations
from surveys.services.invitations import token_for
from tests.surveys.conftest import definition, likert, publish

SHANGHAI = ZoneInfo("Asia/Shanghai")
CONTACTS = (
    "contact,district,age_group,sex,locale\n13800138000,350102,30-39,女,zh-CN\na.b@example.com,,,male,en\n"
)


class Outbox:
    """Records what the channels were asked to send."""

    def __init__(self):
        self.sent = []

    def send(self, message):
        self.sent.append(message)
        return "sent"


def upload(client, org, text: str | bytes, slug: str = "government-work", **form):
    data = text.encode() if isinstance(text, str) else text
    return client.post(
        f"/api/v1/surveys/{slug}/invitations",
        data={"file": (io.BytesIO(data), "contacts.csv"), **form},
        headers=org.auth("admin"),
        content_type="multipart/form-data",
    )


def sent_links(outbox: Outbox) -> list[str]:
    return [link for m in outbox.sent for link in re.findall(r"https?://\S+/s/t/[\w\-=?]+", m.body)]


def test_a_contact_list_becomes_invitations_with_hashed_tokens(client, org, templates):
    created = upload(client, org, CONTACTS)
    assert created.status_code == 201 and created.json["created"] == 2
    rows = db.session.scalars(select(SurveyInvitation).order_by(SurveyInvitation.id)).all()
    assert [(r.channel, r.contact, r.attributes, r.locale) for r in rows] == [
        ("sms", "13800138000", {"district": "350102", "age_group": "30-39", "sex": "female"}, "zh-CN"),
        ("email", "a.b@example.com", {"sex": "male"}, "en"),
    ]
    token = token_for(rows[0].nonce)
    assert (
        len(token) == 32
        and token not in rows[0].token_hash
        and rows[0].token_hash == invitations.hash_token(token)
    )
    assert db.session.scalar(select(func.count()).select_from(SurveyMessage)) == 2
    listed = client.get("/api/v1/surveys/government-work/invitations", headers=org.auth("admin")).json
    assert listed["total"] == 2 and {i["contact"] for i in listed["items"]} == {
        "138****8000",
        "a***@example.com",
    }
    assert (
        client.get("/api/v1/surveys/government-work/invitations", headers=org.auth("analyst")).status_code
        == 403
    )
    # The same people again while their invitations are open: refused.
    assert upload(client, org, CONTACTS).status_code == 422


def test_a_file_with_a_bad_row_invites_nobody(client, org, templates):
    bad = "手机,性别\n13800138000,女\n12345,男\n13900139000,unknown\n13800138000,女\n"
    response = upload(client, org, bad.encode("gb18030"))  # Excel's Chinese CSV encoding is read too
    assert response.status_code == 422
    assert response.json["errors"] == {
        "row 3": ["contact: not a mainland mobile number or an e-mail address"],
        "row 4": ["sex: female/女 or male/男"],
        "row 5": ["contact: listed twice"],
    }
    assert db.session.scalar(select(func.count()).select_from(SurveyInvitation)) == 0
    assert upload(client, org, "name\n张三\n").json["errors"] == {
        "file": ["needs a contact column (mobile number or e-mail address)"]
    }


def test_the_token_is_single_use_and_expires(client, org, ctx):
    publish("tokens", definition(likert("q1"), invitation_days=3))
    start = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)
    with travel_to(start):
        first = client.post(
            "/api/v1/surveys/tokens/invitations/link", json={}, headers=org.auth("admin")
        ).json
        second = client.post(
            "/api/v1/surveys/tokens/invitations/link", json={}, headers=org.auth("admin")
        ).json
        url = "/api/v1/surveys/tokens/responses"
        used = client.post(url, json={"answers": {"q1": 5}, "token": first["token"]})
        assert used.status_code == 201 and used.json["channel"] == "invitation"
        again = client.post(url, json={"answers": {"q1": 1}}, headers={"X-Survey-Token": first["token"]})
        assert (
            again.status_code == 409 and again.json["message"] == "this invitation has already been answered"
        )
        assert client.post(url, json={"answers": {"q1": 1}, "token": "not-a-token"}).status_code == 404
        assert client.post(url, json={"answers": {"q1": 9}, "token": second["token"]}).status_code == 422
    with travel_to(start + timedelta(days=3, minutes=1)):
        late = client.post(url, json={"answers": {"q1": 4}, "token": second["token"]})
        assert late.status_code == 409 and late.json["message"] == "this invitation has expired"
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 1
    # A token of one survey does not open another.
    publish("other", definition())
    with travel_to(start):
        foreign = client.post(
            "/api/v1/surveys/other/responses", json={"answers": {"q1": 3}, "token": second["token"]}
        )
    assert foreign.status_code == 404


def test_one_click_from_the_message_records_the_first_answer(client, org, ctx):
    publish("one-click", definition(likert("q1"), likert("q2")))
    token = client.post(
        "/api/v1/surveys/one-click/invitations/link", json={}, headers=org.auth("admin")
    ).json["token"]
    page = client.get(f"/s/t/{token}?q1=2")
    assert page.status_code == 200 and 'id="one-click-recorded"' in page.get_data(as_text=True)
    assert 'value="2" checked' in page.get_data(as_text=True)
    partial = db.session.scalar(select(SurveyResponse))
    assert partial.status == "partial" and partial.answer_map() == {"q1": 2}
    client.get(f"/s/t/{token}?q1=4")  # changed the mind: the same partial response, new answer
    client.get(f"/s/t/{token}?q1=99")  # nonsense is ignored
    client.get(f"/s/t/{token}?q2=1")  # only the first question is one-click
    db.session.expire_all()
    assert db.session.scalar(select(SurveyResponse)).answer_map() == {"q1": 4}
    done = client.post(
        "/api/v1/surveys/one-click/responses", json={"answers": {"q1": 4, "q2": 3}, "token": token}
    )
    assert done.status_code == 201 and done.json["id"] == partial.id and done.json["status"] == "complete"
    assert client.get(f"/s/t/{token}?q1=1").status_code == 409


def test_messages_and_reminders_carry_a_working_link(client, org, app, templates, monkeypatch):
    monkeypatch.setitem(app.config, "SURVEY_REMINDER_AFTER_HOURS", 48)
    start = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)
    outbox = Outbox()
    with travel_to(start):
        upload(client, org, CONTACTS, slug="hotline-callback")
        assert delivery.deliver_due_messages(channels={"sms": outbox, "email": outbox}) == {"sent": 2}
        assert delivery.deliver_due_messages(channels={"sms": outbox, "email": outbox}) == {}
    sms, email = outbox.sent
    assert sms.recipient == "13800138000" and "诚邀您参加「诉求办理结果回访」" in sms.body
    assert email.recipient == "a.b@example.com" and "Or click your answer straight away" in email.body
    assert str(sms.notice_id).startswith("survey-")  # never the same id as a complaint notice
    links = sent_links(outbox)
    assert len(links) == 2 + 5  # one link each, plus the five ratings in the e-mail
    assert links[-1].endswith("?satisfaction=1") and "Very dissatisfied" in email.body

    with travel_to(start + timedelta(hours=47)):
        assert invitations.queue_reminders() == 0
    with travel_to(start + timedelta(hours=49)):
        # The e-mail invitee answers by the one-click link first: no reminder for them.
        token = links[-1].split("/s/t/")[1].split("?")[0]
        client.post(
            "/api/v1/surveys/hotline-callback/responses",
            json={"answers": {"satisfaction": 4, "resolved": True}, "token": token},
        )
        assert invitations.queue_reminders() == 1
        assert invitations.queue_reminders() == 0  # SURVEY_MAX_REMINDERS = 1
        delivery.deliver_due_messages(channels={"sms": outbox, "email": outbox})
    reminder = outbox.sent[-1]
    assert reminder.recipient == "13800138000" and reminder.body.startswith("提醒：")
    assert sent_links(outbox)[-1] == links[0]  # the same token, rebuilt from the nonce
    with travel_to(start + timedelta(hours=50)):
        assert client.get(links[0].split("8000", 1)[1]).status_code == 200
