"""Personal data shown only where needed, and every full view of it written to the access log.

- lists (API and the queue page) mask: 张*, 138****8000, nothing more;
- the full record shows the contact details in full to the roles that call citizens (operator,
  handler of the department, supervisor, admin), masked to dispatchers, not at all to analysts;
- every full view (API record, an action's answer, the case page, an admin's survey export) writes a
  `personal_data_access` row: who, role, when, which case/survey, which fields, through what; masked and
  hidden views write none; the case's audit chain is untouched by views;
- supervisors and admins read the log through GET /api/v1/personal-data-access and
  `flask privacy access-log`;
- analysts' outputs (every analytics page, API answer and download) carry no complainant data and no
  case text, although the cases are counted in them.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from complaints.models import CaseEvent
from complaints.services.audit import verify_audit_chain
from complaints.validators import mask_contact, mask_email
from core.clock import travel_to
from core.db import db, utcnow
from core.privacy.models import PersonalDataAccess
from surveys.services.definitions import seed_templates
from tests.complaints.test_lifecycle_api import Flow
from tests.security.access_world import World, build_world, response_text, sign_in
from tests.security.test_authz_matrix import TABLE

NAME, PHONE, EMAIL = "欧阳测试", "13912340000", "ouyang.ce@example.org"
ADDRESS = "鼓楼区杨桥路88号3单元502"
TITLE, DESCRIPTION = "燃气热水器点不着火", "新买的燃气热水器安装后点不着火，商家拖延维修。"
PERSON = {"name": NAME, "mobile": PHONE, "email": EMAIL}
FULL = {**PERSON, "hidden": False, "masked": False}
MASKED = {
    "name": "欧***",
    "mobile": "139****0000",
    "email": "o***@example.org",
    "hidden": False,
    "masked": True,
}
PHONE_RE = re.compile(r"139[\s\-.]?1234[\s\-.]?0000")
CONTACT_ROLES = ("operator", "handler", "supervisor", "admin")


@pytest.fixture()
def world(app, client, org) -> World:
    """Everything the matrix probes (the analyst test opens every analytics output)."""
    return build_world(app, client, org)


@pytest.fixture()
def staff(app, org) -> World:
    """Just a signed-in client per role."""
    return sign_in(app, org)


@pytest.fixture()
def person_case(client, org) -> Flow:
    """A complaint with a reachable person, handled and rated a month ago (so every KPI counts it)."""
    with travel_to(utcnow() - timedelta(days=30)):
        flow = Flow(client, org, title=TITLE, description=DESCRIPTION, address=ADDRESS, complainant=PERSON)
        flow.to_replied()
        assert flow.rate(5, True, "满意").status_code == 200
    return flow


def access_rows(after: int = 0) -> list[PersonalDataAccess]:
    """The log's rows after row `after` (the set-up's own actions answered with the record, and are in it)."""
    query = select(PersonalDataAccess).where(PersonalDataAccess.id > after)
    return list(db.session.scalars(query.order_by(PersonalDataAccess.id)))


def last_row_id() -> int:
    return db.session.scalar(select(func.max(PersonalDataAccess.id))) or 0


def test_masks():
    assert mask_email("ouyang.ce@example.org") == "o***@example.org"
    assert mask_contact("13912340000") == "139****0000" and mask_contact(EMAIL) == "o***@example.org"
    assert mask_contact(None) is None


def test_lists_mask_the_complainant(staff, person_case):
    before = last_row_id()
    for role in ("operator", "dispatcher", "handler", "supervisor", "admin"):
        listing = staff.request(role, "GET", "/api/v1/cases?limit=200").json["items"]
        [row] = [r for r in listing if r["tracking_code"] == person_case.code]
        assert (row["complainant_name"], row["complainant_mobile"]) == ("欧***", "139****0000"), role
        queue = response_text(staff.request(role, "GET", "/staff/?sort=received"))
        assert person_case.code in queue and NAME not in queue and not PHONE_RE.search(queue), role
    assert access_rows(before) == []  # lists disclose nothing in full, so log nothing


def test_the_record_is_full_for_roles_that_call_citizens_masked_for_dispatchers(staff, person_case):
    code = person_case.code
    for role in CONTACT_ROLES:
        assert staff.request(role, "GET", f"/api/v1/cases/{code}").json["complainant"] == FULL, role
        page = response_text(staff.request(role, "GET", f"/staff/cases/{code}"))
        assert NAME in page and PHONE in page and EMAIL in page, role
    assert staff.request("dispatcher", "GET", f"/api/v1/cases/{code}").json["complainant"] == MASKED
    page = response_text(staff.request("dispatcher", "GET", f"/staff/cases/{code}"))
    assert "139****0000" in page and "欧***" in page
    assert NAME not in page and not PHONE_RE.search(page) and EMAIL not in page
    assert "仅需联系市民的岗位可查看完整联系方式" in page
    assert staff.request("analyst", "GET", f"/api/v1/cases/{code}").status_code == 403
    assert staff.request("other_handler", "GET", f"/api/v1/cases/{code}").status_code == 404


def test_every_full_view_is_logged_and_views_leave_the_audit_chain_alone(staff, person_case, client, org):
    code, working = person_case.code, Flow(client, org).to_in_progress().code
    before = last_row_id()
    events_before = db.session.scalar(select(func.count()).select_from(CaseEvent))
    staff.request("operator", "GET", f"/api/v1/cases/{code}")
    staff.request("supervisor", "GET", f"/staff/cases/{code}")
    staff.request("dispatcher", "GET", f"/api/v1/cases/{code}")  # masked: not logged
    staff.request("dispatcher", "GET", f"/staff/cases/{code}")
    staff.request("other_handler", "GET", f"/api/v1/cases/{code}")  # 404: nothing shown
    contacted = staff.request(
        "handler", "POST", f"/api/v1/cases/{working}/actions/contact", {"channel": "phone"}
    )
    assert contacted.status_code == 200 and contacted.json["complainant"]["masked"] is False
    rows = access_rows(before)
    fields = ["complainant.name", "complainant.mobile", "complainant.email"]
    assert [(r.user.username, r.role, r.subject_type, r.subject, r.fields, r.purpose) for r in rows] == [
        ("operator", "operator", "case", code, fields, "cases.get_case"),
        ("supervisor", "supervisor", "case", code, fields, "staff.case_page"),
        ("handler", "handler", "case", working, fields[:2], "cases.action_contact"),
    ]
    assert all(abs(r.at - utcnow()) < timedelta(minutes=5) for r in rows)
    # Viewing is not a step of a case: only the contact action added an event, and every chain holds.
    assert db.session.scalar(select(func.count()).select_from(CaseEvent)) == events_before + 1
    assert verify_audit_chain()[1] == []


def test_hidden_and_unknown_complainants_are_not_logged(staff, client, org):
    report = Flow(
        client, org, kind="report", is_confidential=True, complainant={"name": NAME, "mobile": PHONE}
    )
    report.act("accept", "dispatcher")
    report.act("assign", "dispatcher", {"department_code": "GL-SCJG"})
    anonymous = Flow(client, org, kind="report", complainant={})
    before = last_row_id()
    assert staff.request("handler", "GET", f"/api/v1/cases/{report.code}").json["complainant"]["hidden"]
    staff.request("operator", "GET", f"/api/v1/cases/{anonymous.code}")
    assert access_rows(before) == []
    staff.request("admin", "GET", f"/api/v1/cases/{report.code}")
    [row] = access_rows(before)
    assert (row.user.username, row.subject, row.fields) == (
        "admin",
        report.code,
        ["complainant.name", "complainant.mobile"],
    )


def test_supervisors_and_admins_read_the_access_log(staff, person_case, app):
    code = person_case.code
    seed_templates()
    db.session.execute(delete(PersonalDataAccess))  # the set-up's own actions; start from an empty log
    db.session.commit()
    for role in ("operator", "handler", "supervisor"):
        staff.request(role, "GET", f"/api/v1/cases/{code}")
    staff.request("admin", "GET", "/api/v1/surveys/hotline-callback/responses/export?format=csv")
    staff.request("analyst", "GET", "/api/v1/surveys/hotline-callback/responses/export?format=csv")

    def read(query: str, role: str = "supervisor") -> dict:
        response = staff.request(role, "GET", f"/api/v1/personal-data-access?{query}")
        assert response.status_code == 200, response.json
        return response.json

    everything = read("limit=50")["items"]
    assert [(i["username"], i["subject_type"]) for i in everything] == [
        ("admin", "survey"),  # newest first; the analyst's de-identified export is not in the log
        ("supervisor", "case"),
        ("handler", "case"),
        ("operator", "case"),
    ]
    assert everything[0]["fields"] == [
        "case_tracking_code",
        "invitation_contact",
        "external_id",
        "text_answers",
    ]
    assert everything[0]["purpose"] == "surveys.export"
    assert [i["username"] for i in read(f"subject={code}&user=handler")["items"]] == ["handler"]
    assert [i["subject"] for i in read("subject_type=survey", "admin")["items"]] == ["hotline-callback"]
    first = read("limit=2")
    assert len(first["items"]) == 2 and first["next_after"] == first["items"][-1]["id"]
    rest = read(f"limit=2&after={first['next_after']}")
    assert [i["username"] for i in rest["items"]] == ["handler", "operator"] and rest["next_after"] is None
    future = (utcnow() + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert read(f"from={future}")["items"] == []
    assert (
        staff.request("supervisor", "GET", "/api/v1/personal-data-access?subject_type=x").status_code == 422
    )

    printed = app.test_cli_runner().invoke(args=["privacy", "access-log", "--subject", code])
    assert printed.exit_code == 0, printed.output
    lines = printed.output.strip().splitlines()
    assert [line.split("\t")[1] for line in lines] == ["supervisor", "handler", "operator"]
    assert lines[-1].split("\t")[3:] == [
        f"case:{code}",
        "complainant.name,complainant.mobile,complainant.email",
        "cases.get_case",
    ]


ANALYST_EXTRAS = (
    "/analytics/export/kpis/completion_rate/cases.xlsx?{period}",
    "/analytics/export/kpis/satisfaction_rate/cases.csv?{period}",
    "/analytics/kpis/satisfaction_rate/cases?{period}",
    "/api/v1/analytics/complaints/kpis/feedback_rate/cases?{period}&format=xlsx",
    "/api/v1/analytics/complaints/kpis/completion_rate/cases?{period}",
    "/api/v1/analytics/complaints/ledger?{period}&format=xlsx",
    "/analytics/export/hotspots/units.xlsx",
    "/analytics/export/hotspots/problems.xlsx",
    "/api/v1/analytics/hotspots/businesses?format=xlsx",
    "/api/v1/surveys/{slug}/responses/export?format=xlsx",
)


def test_analyst_outputs_are_de_identified(world, person_case):
    """Every page, API answer and download an analyst can open: the case is counted (its code appears
    in the drill-downs) but nothing of the person or of the case's text is there."""
    probes = [
        (probe.url, probe.ok)
        for (method, _), row in TABLE.items()
        if method == "GET"
        for probe in row
        if "analyst" in probe.allow
    ]
    seen_case = 0
    for template, status in [*probes, *((url, 200) for url in ANALYST_EXTRAS)]:
        url = template.format(**world.values)
        response = world.request("analyst", "GET", url)
        assert response.status_code == status, (url, response.status_code)
        text = response_text(response)
        found = [t for t in (NAME, EMAIL, ADDRESS, TITLE, DESCRIPTION) if t in text]
        found += PHONE_RE.findall(text) + (["masked name"] if "欧*" in text else [])
        assert not found, (url, found)
        seen_case += person_case.code in text
    assert seen_case >= 4  # the drill-downs list the case, so the checks above had it to hide
