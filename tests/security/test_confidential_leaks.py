"""A confidential reporter's identity reaches only the roles allowed to see it (supervisor, admin).

A report is planted with a unique name, mobile and e-mail (the mobile typed as "+86 139 1234 5678"),
taken through acceptance, assignment, reply, the call-back survey (answered with a comment) and the
outbox; a second one is left to go overdue so the SLA scan writes staff notices. Then every page and
API answer of the authorization matrix that a role *without* the permission can read, plus searches,
exports (CSV and XLSX, unpacked), Open311 documents and the annual report, is searched for the name,
the phone in any spacing and the e-mail; so are every log line written during the whole run (DEBUG)
and every notification not addressed to the reporter. The permitted roles must see the identity, so
the search is shown to find it where it is.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from analytics.report.build import render_report, report_context
from complaints.models import Notification
from complaints.notifications.delivery import deliver_due
from complaints.notifications.templates import render_notice
from complaints.services import followup, sla
from core.clock import travel_to
from core.db import db, utcnow
from tests.complaints.test_lifecycle_api import Flow
from tests.security.access_world import ROLES, World, build_world, response_text, roles_for, sign_in
from tests.security.test_authz_matrix import TABLE

NAME = "隐名测试人甲"
PHONE = "13912345678"
EMAIL = "yinming.jia@example.cn"
TITLE = "隐名举报标题丙"
DESCRIPTION = "隐名举报内容：某商户销售过期食品丁"
COMMENT = "回访意见戊：处理及时"
# The phone in any spacing or prefix (139 1234 5678, 139-1234-5678, +86 13912345678, 8613912345678);
# masked forms such as 139****5678 do not match.
PHONE_RE = re.compile(r"139[\s\-.]?1234[\s\-.]?5678")
IDENTITY = (NAME, NAME[1:], EMAIL, EMAIL.split("@")[0])
FREE_TEXT = (TITLE, DESCRIPTION, COMMENT)
PERMITTED = ("supervisor", "admin")
UNPERMITTED = tuple(role for role in ROLES if role not in PERMITTED)
# Outside the case roles nobody reads a confidential case's text either (DESIGN.md: analyst exports
# never contain free text of confidential cases; the public and partners see no text at all).
NO_TEXT_ROLES = ("anonymous", "partner", "analyst", "other_handler")

EXTRA_GETS = (
    "/api/v1/cases/{conf}",
    "/api/v1/cases/{conf}/events",
    "/api/v1/cases/{conf}/routing",
    "/staff/cases/{conf}",
    "/api/v1/cases?sort=received&limit=200",
    "/api/v1/cases?q=" + TITLE,
    "/staff/?sort=received",
    "/staff/?q=" + TITLE,
    "/staff/board",
    "/api/v1/complaints/{conf}",
    "/open311/v2/requests/{conf}.json",
    "/open311/v2/requests/{conf}.xml",
    "/open311/v2/requests.xml",
    "/open311/v2/servicerequestupdates.xml",
    "/analytics/export/kpis.xlsx?{period}",
    "/analytics/export/ledger.xlsx?{period}",
    "/analytics/export/three-rate.xlsx?{period}",
    "/analytics/export/indicators.xlsx?period=2026",
    "/analytics/export/kpis/feedback_rate/cases.xlsx?{period}",
    "/analytics/export/kpis/satisfaction_rate/cases.csv?{period}",
    "/analytics/export/hotspots/units.xlsx",
    "/analytics/export/hotspots/problems.csv",
    "/analytics/kpis/completion_rate/cases?{period}",
    "/api/v1/analytics/complaints/kpis?{period}&group_by=department&format=xlsx",
    "/api/v1/analytics/complaints/kpis/satisfaction_rate/cases?{period}&format=xlsx",
    "/api/v1/analytics/complaints/kpis/completion_rate/cases?{period}",
    "/api/v1/analytics/complaints/ledger?{period}&format=csv",
    "/api/v1/analytics/hotspots/businesses?format=csv",
    "/api/v1/surveys/{slug}/responses/export?format=csv",
    "/staff/surveys/{slug}/export.xlsx",
    "/staff/surveys/{slug}/invitations",
    "/api/v1/surveys/{slug}/invitations",
)


# Searching by the reporter's name or phone must not find the report (nor say it exists).
SEARCHES = tuple(
    f"{base}{term}"
    for base in ("/api/v1/cases?q=", "/api/v1/cases?kind=report&q=", "/staff/?sort=received&q=")
    for term in (NAME, PHONE, "139 1234 5678", EMAIL)
)


def identity_in(text: str) -> list[str]:
    """What of the reporter's identity `text` shows."""
    found = [needle for needle in IDENTITY if needle in text]
    return found + PHONE_RE.findall(text)


class Recorder(logging.Handler):
    """Keeps every record it is handed."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture()
def log_records(app, monkeypatch) -> Iterator[list[logging.LogRecord]]:
    """Every log record of the test at DEBUG and above, from every logger."""
    # The session's `flask db upgrade` ran Alembic's fileConfig, which disabled every logger existing
    # then (the app's included) and replaced the root handlers; a server process never migrates.
    for logger in logging.root.manager.loggerDict.values():
        if isinstance(logger, logging.Logger):
            monkeypatch.setattr(logger, "disabled", False)
    recorder = Recorder()
    # setLevel, not a plain attribute: loggers cache isEnabledFor() and only setLevel clears the cache,
    # so a logger asked once at WARN (an earlier test) would keep dropping DEBUG records.
    level = logging.root.level
    logging.root.setLevel(logging.DEBUG)
    logging.root.addHandler(recorder)
    yield recorder.records
    logging.root.removeHandler(recorder)
    logging.root.setLevel(level)


@pytest.fixture()
def planted(app, client, org, log_records) -> tuple[World, Flow]:
    """The matrix world plus the two confidential reports (logs recorded from the start)."""
    world = build_world(app, client, org)
    confidential = Flow(
        client,
        org,
        kind="report",
        title=TITLE,
        description=DESCRIPTION,
        is_confidential=True,
        complainant={"name": NAME, "mobile": "+86 139 1234 5678", "email": EMAIL},
    ).to_replied()
    Flow(client, org, kind="report", is_confidential=True, complainant={"name": NAME, "mobile": PHONE})
    followup.send_callback_invitations(utcnow() + timedelta(days=3))
    link = db.session.scalar(
        select(Notification.params).where(Notification.template == "callback_invitation")
    )["link"]
    deliver_due()
    answer = client.post(
        "/api/v1/surveys/hotline-callback/responses",
        json={
            "token": link.rsplit("/", 1)[1],
            "answers": {"satisfaction": 5, "resolved": True, "comment": COMMENT},
        },
    )
    assert answer.status_code == 201, answer.json
    later = utcnow() + timedelta(days=30)
    with travel_to(later):
        sla.scan_deadlines(later)
        sla.scan_deadlines(later + timedelta(days=1))
        deliver_due(later + timedelta(days=1))
    world.values["conf"] = confidential.code
    return world, confidential


def test_only_the_permitted_roles_ever_see_a_confidential_reporter(planted, log_records):
    world, confidential = planted
    # The matrix's pages and answers, read by the roles it lets through (its refusals carry fixed texts,
    # and another department's case answers as an unknown one, both checked there); the extra reads by
    # every role without the permission.
    reads = [
        (
            probe.url,
            tuple(r for r in UNPERMITTED if r in probe.allow and not (probe.dept and r == "other_handler")),
        )
        for (method, _), probes in TABLE.items()
        if method == "GET"
        for probe in probes
    ]
    reads += [(template, UNPERMITTED) for template in (*EXTRA_GETS, *SEARCHES)]
    leaks = []
    for template, readers in reads:
        url = template.format(**world.values)
        for role in roles_for(url, readers):
            text = response_text(world.request(role, "GET", url))
            found = identity_in(text)
            if role in NO_TEXT_ROLES:
                found += [t for t in FREE_TEXT if t in text]
            if template in SEARCHES and confidential.code in text:
                found.append("the report, found by its reporter")
            # A page may repeat what was typed into its search box; that tells the reader nothing.
            found = [f for f in found if f not in unquote(url)]
            if found:
                leaks.append(f"GET {url} as {role}: {found}")
    assert not leaks, "confidential reporter shown:\n" + "\n".join(leaks)

    # Open311 (what a respondent or anyone else can read) lists the request, without the person.
    public = world.request("anonymous", "GET", f"/open311/v2/requests/{confidential.code}.json").json
    assert public[0]["service_request_id"] == confidential.code

    # The handler of the case's department works it, without the reporter.
    handled = world.request("handler", "GET", f"/api/v1/cases/{confidential.code}").json
    assert handled["title"] == TITLE and handled["complainant"] == {
        "name": None,
        "mobile": None,
        "email": None,
        "hidden": True,
        "masked": False,
    }

    # Logs written during the whole run, at every level.
    logged = [f"{r.name}: {r.getMessage()}" for r in log_records if identity_in(r.getMessage())]
    assert any(r.name == "qualityline.notifications" for r in log_records)  # the log sink ran
    assert not logged, logged

    # Notifications: whatever is not addressed to the reporter carries nothing of them.
    tz = ZoneInfo(world.clients["admin"].application.config["TIMEZONE"])
    staff_notices = list(
        db.session.scalars(select(Notification).where(Notification.recipient.not_in((PHONE, EMAIL))))
    )
    assert any(n.recipient.startswith(("role:", "department:")) for n in staff_notices)
    for notice in staff_notices:
        rendered = render_notice(notice.template, "zh-CN", notice.params, tz)
        text = f"{notice.recipient} {notice.params} {rendered.subject} {rendered.body}"
        assert not identity_in(text), (notice.template, notice.recipient)

    # The annual report (HTML, what the analysts publish).
    report = render_report(report_context(utcnow().year))
    assert not identity_in(report) and not [t for t in FREE_TEXT if t in report]

    # And the search above finds the reporter where the permission allows it: record, page, export.
    for role in PERMITTED:
        record = world.request(role, "GET", f"/api/v1/cases/{confidential.code}").json
        assert record["complainant"] == {
            "name": NAME,
            "mobile": PHONE,
            "email": EMAIL,
            "hidden": False,
            "masked": False,
        }
        page = response_text(world.request(role, "GET", f"/staff/cases/{confidential.code}"))
        assert NAME in identity_in(page) and PHONE in identity_in(page)
    # The full survey export (admins) carries the call-back contact and comment, the de-identified not.
    full = response_text(world.request("admin", "GET", "/staff/surveys/hotline-callback/export.xlsx"))
    assert PHONE in identity_in(full) and COMMENT in full


def test_intake_duplicate_hints_do_not_link_a_phone_to_a_confidential_report(app, client, org):
    """An operator typing a phone learns nothing about the confidential reports made from it; a
    supervisor registering a call sees them."""
    confidential = Flow(client, org, kind="report", is_confidential=True, complainant={"mobile": PHONE})
    world = sign_in(app, org)
    form = {
        "kind": "inquiry",
        "category_code": "G0101",
        "region_code": "350102",
        "title": "咨询退货政策",
        "description": "想了解七日无理由退货的规定。",
        "complainant_name": "来电人",
        "complainant_mobile": "139 1234 5678",
    }
    for role, shown in (("operator", False), ("dispatcher", False), ("supervisor", True)):
        page = response_text(world.request(role, "POST", "/staff/intake", form))
        assert (confidential.code in page) is shown, role
