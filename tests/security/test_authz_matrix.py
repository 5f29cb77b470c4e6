"""Authorization matrix: every route of the app (read from `app.url_map`) × every role gets exactly the
status the table below says.

Rules the table encodes (DESIGN.md section 5 and the README's role tables):
- API (/api/v1): no or bad bearer token 401, wrong role 403, another department's case 404 (as an
  unknown one: a handler must not learn that a case exists elsewhere);
- staff pages: anonymous visitors are sent to the login page (302), wrong role 403, another
  department's case 404;
- Open311 (/open311/v2): GET is public, POST needs a partner api_key (403 without one, whoever asks);
- write routes are probed with a body that fails validation: the allowed roles get the validation
  answer (422 / 400 / the page again), every other role is refused *before* the body is looked at, so a
  refusal never depends on, or reveals anything about, the input.

Add a row when you add a route: the first test fails for any route without one.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.security.access_world import ROLES, STAFF_ROLES, World, build_world, response_text, roles_for

# --- role groups ---------------------------------------------------------------------------------------
EVERYONE = frozenset(ROLES)
STAFF = frozenset(STAFF_ROLES)
NOBODY: frozenset[str] = frozenset()
PARTNER = frozenset({"partner"})
ADMIN = frozenset({"admin"})
# Case roles (analysts see aggregates only); `other_handler` is a handler, so role-wise allowed, but a
# probe with dept=True addresses case A of GL-SCJG, which is not theirs: 404.
CASE = frozenset({"operator", "dispatcher", "handler", "other_handler", "supervisor", "admin"})
INTAKE = frozenset({"operator", "dispatcher", "supervisor", "admin"})
DISPATCH = frozenset({"dispatcher", "supervisor", "admin"})
HANDLE = frozenset({"handler", "other_handler", "supervisor", "admin"})
SUPERVISE = frozenset({"supervisor", "admin"})
FEEDBACK = CASE
CLOSE = INTAKE
ANALYTICS = frozenset({"analyst", "supervisor", "admin"})
SURVEY_VIEW = ANALYTICS
SURVEY_EXPORT = frozenset({"analyst", "admin"})
BOARD = DISPATCH
ROUTING_READ = DISPATCH
ADMIN_SUPERVISOR = SUPERVISE

HOTSPOT_EXPORT = (
    "/analytics/export/hotspots/<any(units, businesses, problems):table>.<any(csv, xlsx):file_format>"
)
BAD_JSON = {"__authz_probe__": 1}  # fails every body schema (unknown field), so nothing is written


@dataclass(frozen=True)
class Probe:
    """One request: its URL (with {placeholders} from the world), who gets through and with what status."""

    url: str
    allow: frozenset[str]
    ok: int = 200
    body: dict | None = None
    dept: bool = False  # addresses case A: a handler of another department gets 404


def p(url: str, allow: frozenset[str], ok: int = 200, body: dict | None = None, dept: bool = False):
    return (Probe(url, allow, ok, body, dept),)


def case_action(action: str, allow: frozenset[str]):
    return p(f"/api/v1/cases/{{case}}/actions/{action}", allow, 422, BAD_JSON, dept=True)


# (method, rule) -> probes. Every rule × method of app.url_map has exactly one entry.
TABLE: dict[tuple[str, str], tuple[Probe, ...]] = {
    # --- public site and ops ---------------------------------------------------------------------------
    ("GET", "/"): p("/", EVERYONE),
    ("GET", "/healthz"): p("/healthz", EVERYONE),
    ("GET", "/readyz"): p("/readyz", EVERYONE, 503),  # no scheduler heartbeat in the test database
    ("GET", "/metrics"): p("/metrics", EVERYONE),  # nginx admits internal addresses only (deploy/)
    ("GET", "/lang/<code>"): p("/lang/en", EVERYONE, 302),
    ("GET", "/static/<path:filename>"): p("/static/app.css", EVERYONE),
    ("GET", "/surveys-static/<path:filename>"): p("/surveys-static/surveys.css", EVERYONE),
    ("GET", "/receipt"): p("/receipt", EVERYONE, 302),
    ("GET", "/submit/<kind>"): p("/submit/complaint", EVERYONE),
    ("POST", "/submit/<kind>"): p("/submit/complaint", EVERYONE, 422, {"title": ""}),
    ("GET", "/track"): p("/track", EVERYONE),
    ("POST", "/track"): p("/track", EVERYONE, 422, {"tracking_code": ""}),
    ("POST", "/track/rate"): p(
        "/track/rate", EVERYONE, 422, {"tracking_code": "{case}", "access_key": "{access_key}", "rating": "9"}
    ),
    ("GET", "/s/<slug>"): p("/s/{slug}", EVERYONE),
    ("POST", "/s/<slug>"): p("/s/{slug}", EVERYONE, 422, {"satisfaction": "9"}),
    ("GET", "/s/<slug>/thanks"): p("/s/{slug}/thanks", EVERYONE),
    ("GET", "/s/t/<token>"): p("/s/t/{token}", EVERYONE),
    ("POST", "/s/t/<token>"): p("/s/t/{token}", EVERYONE, 422, {"satisfaction": "9"}),
    # --- staff sign-in -------------------------------------------------------------------------------
    ("GET", "/staff/login"): p("/staff/login", EVERYONE),
    ("POST", "/staff/login"): p("/staff/login", EVERYONE, 401, {"username": "nobody", "password": "x"}),
    ("POST", "/staff/logout"): p("/staff/logout", EVERYONE, 302),
    # --- staff pages: cases --------------------------------------------------------------------------
    ("GET", "/staff/"): p("/staff/", CASE),
    ("GET", "/staff/cases/<tracking_code>"): p("/staff/cases/{case}", CASE, dept=True),
    ("POST", "/staff/cases/<tracking_code>/actions/<action>"): (
        Probe("/staff/cases/{case}/actions/reject", DISPATCH, 422, {"reason_code": "99"}, True),
        Probe("/staff/cases/{case}/actions/sign", HANDLE, 302, {}, True),  # refused by state: flash
        Probe("/staff/cases/{case}/actions/urge", SUPERVISE, 422, {"note": ""}, True),
        Probe("/staff/cases/{case}/actions/feedback", FEEDBACK, 422, {"channel": "pigeon"}, True),
        Probe("/staff/cases/{case}/actions/close", CLOSE, 302, {}, True),
    ),
    ("GET", "/staff/board"): p("/staff/board", BOARD),
    ("GET", "/staff/intake"): p("/staff/intake", INTAKE),
    ("POST", "/staff/intake"): p("/staff/intake", INTAKE, 422, {"kind": "nonsense"}),
    # --- staff pages: surveys ------------------------------------------------------------------------
    ("GET", "/staff/surveys/"): p("/staff/surveys/", SURVEY_VIEW),
    ("POST", "/staff/surveys/"): p("/staff/surveys/", ADMIN, 302, {"slug": "Bad Slug!"}),
    ("GET", "/staff/surveys/<slug>/"): p("/staff/surveys/{slug}/", SURVEY_VIEW),
    ("POST", "/staff/surveys/<slug>/publish"): p("/staff/surveys/{scratch}/publish", ADMIN, 302),
    ("POST", "/staff/surveys/<slug>/close"): p("/staff/surveys/{scratch}/close", ADMIN, 302),
    ("POST", "/staff/surveys/<slug>/reopen"): p("/staff/surveys/{scratch}/reopen", ADMIN, 302),
    ("GET", "/staff/surveys/<slug>/preview"): p("/staff/surveys/{slug}/preview", SURVEY_VIEW),
    ("GET", "/staff/surveys/<slug>/monitor"): p("/staff/surveys/{slug}/monitor", SURVEY_VIEW),
    ("GET", "/staff/surveys/<slug>/export.<file_format>"): p(
        "/staff/surveys/{slug}/export.csv", SURVEY_EXPORT
    ),
    ("GET", "/staff/surveys/<slug>/edit"): p("/staff/surveys/{scratch}/edit", ADMIN),
    ("POST", "/staff/surveys/<slug>/draft"): p("/staff/surveys/{scratch}/draft", ADMIN, 302),
    ("POST", "/staff/surveys/<slug>/edit/settings"): p(
        "/staff/surveys/{scratch}/edit/settings", ADMIN, 422, {"title_zh": ""}
    ),
    ("POST", "/staff/surveys/<slug>/edit/questions/<int:index>"): p(
        "/staff/surveys/{scratch}/edit/questions/0", ADMIN, 422, {"type": "nonsense"}
    ),
    ("POST", "/staff/surveys/<slug>/edit/questions/<int:index>/delete"): p(
        "/staff/surveys/{scratch}/edit/questions/999/delete",
        ADMIN,
        404,  # no such question
    ),
    ("POST", "/staff/surveys/<slug>/edit/questions/<int:index>/move"): p(
        "/staff/surveys/{scratch}/edit/questions/999/move", ADMIN, 404, {"direction": "up"}
    ),
    ("POST", "/staff/surveys/<slug>/edit/json"): p(
        "/staff/surveys/{scratch}/edit/json", ADMIN, 422, {"definition": "not json"}
    ),
    ("GET", "/staff/surveys/<slug>/invitations"): p("/staff/surveys/{scratch}/invitations", ADMIN),
    ("POST", "/staff/surveys/<slug>/invitations"): p("/staff/surveys/{scratch}/invitations", ADMIN, 422),
    ("POST", "/staff/surveys/<slug>/invitations/link"): p("/staff/surveys/{scratch}/invitations/link", ADMIN),
    ("POST", "/staff/surveys/<slug>/invitations/reminders"): p(
        "/staff/surveys/{scratch}/invitations/reminders", ADMIN, 302
    ),
    ("GET", "/staff/surveys/<slug>/import"): p("/staff/surveys/{slug}/import", ADMIN),
    ("POST", "/staff/surveys/<slug>/import"): p("/staff/surveys/{slug}/import", ADMIN, 422),
    ("GET", "/staff/surveys/<slug>/imports/<int:import_id>"): p(
        "/staff/surveys/{slug}/imports/{import_id}", ADMIN
    ),
    # --- analytics pages -----------------------------------------------------------------------------
    ("GET", "/analytics/"): p("/analytics/", ANALYTICS),
    ("GET", "/analytics/ledger"): p("/analytics/ledger", ANALYTICS),
    ("GET", "/analytics/hotspots"): p("/analytics/hotspots", ANALYTICS),
    ("GET", "/analytics/kpis/<code>/cases"): p("/analytics/kpis/acceptance_rate/cases?{period}", ANALYTICS),
    ("GET", "/analytics/export/kpis.<any(csv, xlsx):file_format>"): p(
        "/analytics/export/kpis.xlsx", ANALYTICS
    ),
    ("GET", "/analytics/export/ledger.<any(csv, xlsx):file_format>"): p(
        "/analytics/export/ledger.csv", ANALYTICS
    ),
    ("GET", "/analytics/export/three-rate.<any(csv, xlsx):file_format>"): p(
        "/analytics/export/three-rate.csv", ANALYTICS
    ),
    ("GET", "/analytics/export/indicators.<any(csv, xlsx):file_format>"): p(
        "/analytics/export/indicators.csv", ANALYTICS
    ),
    ("GET", "/analytics/export/kpis/<code>/cases.<any(csv, xlsx):file_format>"): p(
        "/analytics/export/kpis/acceptance_rate/cases.csv?{period}", ANALYTICS
    ),
    ("GET", HOTSPOT_EXPORT): p("/analytics/export/hotspots/businesses.csv", ANALYTICS),
    # --- API: public ---------------------------------------------------------------------------------
    ("GET", "/api/v1/openapi.json"): p("/api/v1/openapi.json", EVERYONE),
    ("GET", "/api/v1/categories"): p("/api/v1/categories", EVERYONE),
    ("GET", "/api/v1/regions"): p("/api/v1/regions", EVERYONE),
    ("POST", "/api/v1/complaints"): p("/api/v1/complaints", EVERYONE, 422, BAD_JSON),
    # Without the access key a case looks unknown, to staff as to anyone.
    ("GET", "/api/v1/complaints/<tracking_code>"): p("/api/v1/complaints/{case}", NOBODY),
    ("POST", "/api/v1/complaints/<tracking_code>/rating"): p(
        "/api/v1/complaints/{case}/rating", EVERYONE, 422, BAD_JSON
    ),
    ("GET", "/api/v1/surveys/<slug>"): p("/api/v1/surveys/{slug}", EVERYONE),
    ("POST", "/api/v1/surveys/<slug>/responses"): p(
        "/api/v1/surveys/{slug}/responses", EVERYONE, 422, BAD_JSON
    ),
    # --- API: tokens, users, departments -------------------------------------------------------------
    ("POST", "/api/v1/auth/tokens"): p("/api/v1/auth/tokens", EVERYONE, 422, BAD_JSON),
    ("DELETE", "/api/v1/auth/tokens/current"): p("/api/v1/auth/tokens/current", STAFF, 204),
    ("GET", "/api/v1/departments"): p("/api/v1/departments", STAFF),
    ("POST", "/api/v1/departments"): p("/api/v1/departments", ADMIN, 422, BAD_JSON),
    ("GET", "/api/v1/users"): p("/api/v1/users", ADMIN),
    ("POST", "/api/v1/users"): p("/api/v1/users", ADMIN, 422, BAD_JSON),
    ("PATCH", "/api/v1/users/<username>"): p("/api/v1/users/{user}", ADMIN, 422, BAD_JSON),
    ("POST", "/api/v1/users/<username>/password"): p("/api/v1/users/{user}/password", ADMIN, 422, BAD_JSON),
    ("POST", "/api/v1/users/<username>/unlock"): p("/api/v1/users/{user}/unlock", ADMIN),
    # --- API: administration -------------------------------------------------------------------------
    ("GET", "/api/v1/personal-data-access"): p("/api/v1/personal-data-access?subject={case}", SUPERVISE),
    ("GET", "/api/v1/routing-rules"): p("/api/v1/routing-rules", ROUTING_READ),
    ("POST", "/api/v1/routing-rules"): p("/api/v1/routing-rules", ADMIN, 422, BAD_JSON),
    ("GET", "/api/v1/policies"): p("/api/v1/policies", ADMIN_SUPERVISOR),
    ("POST", "/api/v1/policies"): p("/api/v1/policies", ADMIN, 422, BAD_JSON),
    ("GET", "/api/v1/calendar/overrides"): p("/api/v1/calendar/overrides", ADMIN_SUPERVISOR),
    ("POST", "/api/v1/calendar/overrides"): p("/api/v1/calendar/overrides", ADMIN, 422, BAD_JSON),
    # --- API: cases ----------------------------------------------------------------------------------
    ("GET", "/api/v1/cases"): p("/api/v1/cases", CASE),
    ("POST", "/api/v1/cases"): p("/api/v1/cases", INTAKE, 422, BAD_JSON),
    ("GET", "/api/v1/cases/<tracking_code>"): p("/api/v1/cases/{case}", CASE, dept=True),
    ("GET", "/api/v1/cases/<tracking_code>/events"): p("/api/v1/cases/{case}/events", CASE, dept=True),
    ("GET", "/api/v1/cases/<tracking_code>/routing"): p("/api/v1/cases/{case}/routing", ROUTING_READ),
    ("POST", "/api/v1/cases/<tracking_code>/actions/accept"): case_action("accept", DISPATCH),
    ("POST", "/api/v1/cases/<tracking_code>/actions/reject"): case_action("reject", DISPATCH),
    ("POST", "/api/v1/cases/<tracking_code>/actions/transfer"): case_action("transfer", DISPATCH),
    ("POST", "/api/v1/cases/<tracking_code>/actions/merge"): case_action("merge", DISPATCH),
    ("POST", "/api/v1/cases/<tracking_code>/actions/assign"): case_action("assign", DISPATCH),
    ("POST", "/api/v1/cases/<tracking_code>/actions/sign"): case_action("sign", HANDLE),
    ("POST", "/api/v1/cases/<tracking_code>/actions/return"): case_action("return", HANDLE),
    ("POST", "/api/v1/cases/<tracking_code>/actions/extend"): case_action("extend", HANDLE),
    ("POST", "/api/v1/cases/<tracking_code>/actions/approve_extension"): case_action(
        "approve_extension", SUPERVISE
    ),
    ("POST", "/api/v1/cases/<tracking_code>/actions/urge"): case_action("urge", SUPERVISE),
    ("POST", "/api/v1/cases/<tracking_code>/actions/contact"): case_action("contact", HANDLE),
    ("POST", "/api/v1/cases/<tracking_code>/actions/reply"): case_action("reply", HANDLE),
    ("POST", "/api/v1/cases/<tracking_code>/actions/feedback"): case_action("feedback", FEEDBACK),
    ("POST", "/api/v1/cases/<tracking_code>/actions/close"): case_action("close", CLOSE),
    ("POST", "/api/v1/cases/<tracking_code>/actions/reopen"): case_action("reopen", SUPERVISE),
    # --- API: surveys --------------------------------------------------------------------------------
    ("GET", "/api/v1/surveys"): p("/api/v1/surveys", SURVEY_VIEW),
    ("POST", "/api/v1/surveys"): p("/api/v1/surveys", ADMIN, 422, BAD_JSON),
    ("GET", "/api/v1/surveys/<slug>/versions"): p("/api/v1/surveys/{slug}/versions", SURVEY_VIEW),
    ("PUT", "/api/v1/surveys/<slug>/draft"): p("/api/v1/surveys/{scratch}/draft", ADMIN, 422, BAD_JSON),
    ("POST", "/api/v1/surveys/<slug>/publish"): p("/api/v1/surveys/{slug}/publish", ADMIN, 409),
    ("POST", "/api/v1/surveys/<slug>/close"): p("/api/v1/surveys/{scratch}/close", ADMIN),
    ("POST", "/api/v1/surveys/<slug>/reopen"): p("/api/v1/surveys/{scratch}/reopen", ADMIN),
    ("GET", "/api/v1/surveys/<slug>/invitations"): p("/api/v1/surveys/{slug}/invitations", ADMIN),
    ("POST", "/api/v1/surveys/<slug>/invitations"): p("/api/v1/surveys/{slug}/invitations", ADMIN, 422),
    ("POST", "/api/v1/surveys/<slug>/invitations/link"): p(
        "/api/v1/surveys/{slug}/invitations/link", ADMIN, 422, BAD_JSON
    ),
    ("POST", "/api/v1/surveys/<slug>/invitations/reminders"): p(
        "/api/v1/surveys/{slug}/invitations/reminders", ADMIN
    ),
    ("GET", "/api/v1/surveys/<slug>/monitor"): p("/api/v1/surveys/{slug}/monitor", SURVEY_VIEW),
    ("GET", "/api/v1/surveys/<slug>/responses/export"): p(
        "/api/v1/surveys/{slug}/responses/export?format=xlsx", SURVEY_EXPORT
    ),
    ("POST", "/api/v1/surveys/<slug>/imports"): p("/api/v1/surveys/{slug}/imports", ADMIN, 422),
    ("GET", "/api/v1/surveys/<slug>/imports/<int:import_id>"): p(
        "/api/v1/surveys/{slug}/imports/{import_id}", ADMIN
    ),
    # --- API: analytics ------------------------------------------------------------------------------
    ("GET", "/api/v1/analytics/complaints/kpis"): p("/api/v1/analytics/complaints/kpis?{period}", ANALYTICS),
    ("GET", "/api/v1/analytics/complaints/kpis/<code>/cases"): p(
        "/api/v1/analytics/complaints/kpis/acceptance_rate/cases?{period}", ANALYTICS
    ),
    ("GET", "/api/v1/analytics/complaints/ledger"): p(
        "/api/v1/analytics/complaints/ledger?{period}", ANALYTICS
    ),
    ("GET", "/api/v1/analytics/complaints/three-rate"): p(
        "/api/v1/analytics/complaints/three-rate?{period}", ANALYTICS
    ),
    ("GET", "/api/v1/analytics/hotspots"): p("/api/v1/analytics/hotspots", ANALYTICS),
    ("GET", "/api/v1/analytics/hotspots/businesses"): p("/api/v1/analytics/hotspots/businesses", ANALYTICS),
    ("GET", "/api/v1/analytics/hotspots/monthly-problems"): p(
        "/api/v1/analytics/hotspots/monthly-problems", ANALYTICS
    ),
    ("GET", "/api/v1/analytics/surveys/<slug>/index"): p(
        "/api/v1/analytics/surveys/{slug}/index?{period}", ANALYTICS
    ),
    ("GET", "/api/v1/analytics/surveys/<slug>/model"): p(
        "/api/v1/analytics/surveys/service-satisfaction/model?{period}&bootstrap=0", ANALYTICS
    ),
    ("GET", "/api/v1/analytics/sectors/<sector>/index"): p(
        "/api/v1/analytics/sectors/hotline_callback/index?{period}", ANALYTICS
    ),
    ("GET", "/api/v1/analytics/indicators"): p("/api/v1/analytics/indicators", ANALYTICS),
    ("POST", "/api/v1/analytics/indicators"): p("/api/v1/analytics/indicators", ADMIN, 422, BAD_JSON),
    ("GET", "/api/v1/analytics/indicators/<code>"): p("/api/v1/analytics/indicators/{indicator}", ANALYTICS),
    ("PUT", "/api/v1/analytics/indicators/<code>"): p(
        "/api/v1/analytics/indicators/{indicator}", ADMIN, 422, BAD_JSON
    ),
    ("DELETE", "/api/v1/analytics/indicators/<code>"): p(
        "/api/v1/analytics/indicators/{indicator}", ADMIN, 204
    ),
    # --- API: Open311 administration -----------------------------------------------------------------
    ("GET", "/api/v1/admin/open311/keys"): p("/api/v1/admin/open311/keys", ADMIN),
    ("POST", "/api/v1/admin/open311/keys"): p("/api/v1/admin/open311/keys", ADMIN, 422, BAD_JSON),
    ("POST", "/api/v1/admin/open311/keys/<int:key_id>/revoke"): p(
        "/api/v1/admin/open311/keys/{key_id}/revoke", ADMIN
    ),
    ("GET", "/api/v1/admin/open311/services/<service_code>/attributes"): p(
        "/api/v1/admin/open311/services/{service}/attributes", ADMIN_SUPERVISOR
    ),
    ("PUT", "/api/v1/admin/open311/services/<service_code>/attributes"): p(
        "/api/v1/admin/open311/services/{service}/attributes", ADMIN, 422, BAD_JSON
    ),
    # --- Open311 GeoReport v2 ------------------------------------------------------------------------
    ("GET", "/open311/v2/discovery.<fmt>"): p("/open311/v2/discovery.json", EVERYONE),
    ("GET", "/open311/v2/services.<fmt>"): p("/open311/v2/services.xml", EVERYONE),
    ("GET", "/open311/v2/services/<service_code>.<fmt>"): p("/open311/v2/services/{service}.json", EVERYONE),
    ("GET", "/open311/v2/requests.<fmt>"): p("/open311/v2/requests.json", EVERYONE),
    ("POST", "/open311/v2/requests.<fmt>"): p("/open311/v2/requests.json", PARTNER, 400, {}),
    ("GET", "/open311/v2/requests/<service_request_id>.<fmt>"): p(
        "/open311/v2/requests/{o311_request}.json", EVERYONE
    ),
    ("GET", "/open311/v2/tokens/<token>.<fmt>"): p("/open311/v2/tokens/{o311_token}.json", EVERYONE),
    ("GET", "/open311/v2/servicerequestupdates.<fmt>"): p("/open311/v2/servicerequestupdates.json", EVERYONE),
    ("POST", "/open311/v2/servicerequestupdates.<fmt>"): p(
        "/open311/v2/servicerequestupdates.json", PARTNER, 400, {}
    ),
}

# Requests that end the role's session or token run after everything else.
LAST = {("POST", "/staff/logout"), ("DELETE", "/api/v1/auth/tokens/current")}


def expected_status(role: str, probe: Probe) -> int:
    """The status `role` must get for `probe` under the rules in the module docstring."""
    if role in probe.allow:
        if probe.dept and role == "other_handler":
            return 404
        return probe.ok
    if probe.url.startswith("/open311/"):
        return 403  # POST without a partner api_key
    anonymous = role in ("anonymous", "partner")
    if probe.url.startswith("/api/v1/"):
        if probe.url.startswith("/api/v1/complaints/"):
            return 404  # the citizen's access key, not a staff role, opens a case
        return 401 if anonymous else 403
    return 302 if anonymous else 403


def ordered_rows() -> list[tuple[tuple[str, str], Probe]]:
    """Reads first, then writes in table order, then deletions, then what ends a session."""

    def rank(key: tuple[str, str]) -> int:
        method = key[0]
        return 3 if key in LAST else {"GET": 0, "DELETE": 2}.get(method, 1)

    keys = sorted(TABLE, key=rank)
    return [(key, probe) for key in keys for probe in TABLE[key]]


UNKNOWN_CASE = "QL-20000101-00000000"


def run_matrix(world: World) -> list[str]:
    """Every probe × role; returns what went wrong, one line each (empty when all is as the table says).

    Beyond the status: anonymous refusals of pages go to the login page; another department's case
    answers exactly like an unknown tracking code (status and body); and nothing another department's
    handler gets contains the text of case A."""
    problems = []
    secret = world.flow_description
    for (method, _rule), probe in ordered_rows():
        url = probe.url.format(**world.values)
        body = probe.body and {
            k: v.format(**world.values) if isinstance(v, str) else v for k, v in probe.body.items()
        }
        for role in roles_for(url):
            where = f"{method} {url} as {role}"
            try:
                response = world.request(role, method, url, body)
            except Exception as exc:  # TESTING propagates what production answers with a 500
                problems.append(f"{where}: 500 ({type(exc).__name__}: {exc})")
                continue
            want, got = expected_status(role, probe), response.status_code
            text = response_text(response)
            if got != want:
                problems.append(f"{where}: expected {want}, got {got} {text[:160]!r}")
                continue
            location = response.headers.get("Location", "")
            if (
                want == 302
                and role in ("anonymous", "partner")
                and probe.allow != EVERYONE
                and ("/staff/login" not in location)
            ):
                problems.append(f"{where}: redirected to {response.headers.get('Location')}")
            if role == "other_handler":
                if secret in text:
                    problems.append(f"{where}: shows the text of another department's case")
                if probe.dept and want == 404:
                    unknown = world.request(
                        role, method, url.replace(world.values["case"], UNKNOWN_CASE), body
                    )
                    same_text = response_text(unknown).replace(UNKNOWN_CASE, world.values["case"])
                    if (unknown.status_code, same_text) != (got, text):
                        problems.append(f"{where}: answers unlike an unknown case ({unknown.status_code})")
    return problems


def route_keys(app) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_route_has_a_row_in_the_matrix(app):
    routes = route_keys(app)
    missing = sorted(routes - TABLE.keys())
    stale = sorted(TABLE.keys() - routes)
    assert not missing, f"routes without an authorization row (add them to TABLE): {missing}"
    assert not stale, f"rows for routes that no longer exist: {stale}"


@pytest.fixture()
def world(app, client, org) -> World:
    return build_world(app, client, org)


def test_every_role_gets_exactly_the_allowed_status_on_every_route(world):
    problems = run_matrix(world)
    assert not problems, f"{len(problems)} authorization problems:\n" + "\n".join(problems)
