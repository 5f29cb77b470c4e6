"""Security headers on every response, the per-request style nonce, templates without inline script, style
or event handlers, and in Chromium: the key pages work under the policy (Chart.js draws, the survey's
show-if rules apply, the monitor bars show) with nothing blocked."""

from __future__ import annotations

import re
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from surveys.services import definitions
from tests.surveys.conftest import definition, likert, publish

# The browser fixtures of tests/web (pytest finds them by name here), with their CSP check at teardown.
from tests.web.conftest import browser, chrome, live_server, policy_violations  # noqa: F401
from tests.web.test_analytics_browser import CHARTS_JS
from tests.web.test_browser import login

ROOT = Path(__file__).resolve().parents[2]
# The annual report is written to disk and printed to PDF (analytics/report), never served over HTTP.
NOT_SERVED = {ROOT / "analytics/templates/analytics/report/report.html"}
PATHS = (
    "/",  # a page
    "/staff/login",  # a staff page
    "/no-such-page",  # an HTML error
    "/api/v1/categories",  # JSON
    "/api/v1/no-such-thing",  # a JSON error
    "/static/app.css",  # a file
    "/healthz",
)


def directives(policy: str) -> dict[str, list[str]]:
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {name: values for name, *values in parts}


def alone(client, path: str):
    """GET in an app context of its own, as every production request is (the test's context would share
    its g, and with it the nonce, between requests)."""
    with client.application.app_context():
        return client.get(path)


def test_every_response_carries_the_security_headers(app):
    client = app.test_client()  # nothing is written: no clean-up of the database needed
    for path in PATHS:
        headers = client.get(path).headers
        policy = headers["Content-Security-Policy"]
        csp = directives(policy)
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, path
        assert csp["default-src"] == csp["script-src"] == csp["style-src"] == ["'self'"], path
        assert csp["frame-ancestors"] == csp["object-src"] == csp["base-uri"] == ["'none'"], path
        assert csp["form-action"] == ["'self'"]
        assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert (
            "camera=()" in headers["Permissions-Policy"] and "geolocation=()" in headers["Permissions-Policy"]
        )
        assert "Strict-Transport-Security" not in headers, path  # plain HTTP in development


def test_hsts_is_sent_when_cookies_are_secure(app, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    for path in ("/", "/api/v1/categories", "/no-such-page"):
        assert app.test_client().get(path).headers["Strict-Transport-Security"] == "max-age=31536000"


def test_the_survey_style_block_carries_the_nonce_of_its_response(client, ctx):
    publish(
        "skip",
        definition(
            {"code": "yn", "type": "yes_no", "required": True, "text": {"zh-CN": "解决了吗"}},
            likert("follow", show_if={"question": "yn", "in": [True]}),
        ),
    )
    nonces = []
    for _ in range(2):
        response = alone(client, "/s/skip")
        nonce = re.search(r'<style nonce="([^"]+)">[^<]*#q-follow', response.get_data(as_text=True)).group(1)
        assert directives(response.headers["Content-Security-Policy"])["style-src"] == [
            "'self'",
            f"'nonce-{nonce}'",
        ]
        nonces.append(nonce)
    assert nonces[0] != nonces[1] and len(nonces[0]) >= 16  # fresh and unguessable per response
    assert "nonce" not in client.get("/").headers["Content-Security-Policy"]  # only where a page uses one


def served_templates() -> list[Path]:
    found = [p for p in ROOT.glob("*/templates/**/*.html") if p not in NOT_SERVED]
    assert len(found) > 40  # the glob finds the packages' templates
    return found


def test_templates_hold_no_inline_script_style_attribute_or_event_handler():
    problems = []
    for path in served_templates():
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(ROOT)
        for tag in re.findall(r"<[a-zA-Z][^<>]*>", text):
            if re.search(r"\son[a-z]+\s*=", tag):
                problems.append(f"{name}: event handler in {tag}")
            if re.search(r"\sstyle\s*=", tag):
                problems.append(f"{name}: style attribute in {tag}")
            if tag.startswith("<script") and "src=" not in tag and 'type="application/json"' not in tag:
                problems.append(f"{name}: inline script {tag}")
            if tag.startswith("<style") and "nonce=" not in tag:
                problems.append(f"{name}: <style> without the request nonce")
        if "javascript:" in text:
            problems.append(f"{name}: javascript: URL")
    assert problems == []


def test_every_post_form_in_the_templates_sends_the_csrf_token():
    forms = 0
    for path in served_templates():
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<form\b[^>]*>", text):
            if 'method="post"' in match.group(0).lower():
                forms += 1
                body = text[match.end() : text.find("</form>", match.end())]
                assert "csrf" in body, f"{path.relative_to(ROOT)}: {match.group(0)}"
    assert forms > 20


def test_key_pages_work_under_the_policy_in_chromium(browser, live_server, ctx):  # noqa: F811 (fixtures)
    base = live_server
    # The guard has teeth: an inline style on a served page is blocked and reported.
    browser.get(base + "/")
    browser.execute_script("document.body.setAttribute('style', 'color: red')")
    assert any("Content Security Policy" in message for message in policy_violations(browser))

    # Chart.js (vendored, /static) runs and draws the dashboard's charts.
    login(browser, base, "analyst")
    browser.get(base + "/analytics/")
    WebDriverWait(browser, 20).until(lambda d: d.execute_script(CHARTS_JS))
    drawn = browser.execute_script(CHARTS_JS)
    assert drawn and all(chart_type for _id, chart_type, _painted, _hidden in drawn)
    assert policy_violations(browser) == []

    # The survey's show-if rules (a <style> with the nonce) hide a question until its condition holds.
    publish(
        "skip",
        definition(
            {"code": "yn", "type": "yes_no", "required": True, "text": {"zh-CN": "解决了吗"}},
            likert("follow", show_if={"question": "yn", "in": [True]}),
        ),
    )
    browser.get(base + "/s/skip")
    assert not browser.find_element(By.ID, "q-follow").is_displayed()
    browser.find_element(By.CSS_SELECTOR, "input[name=yn][value=yes]").click()
    assert browser.find_element(By.ID, "q-follow").is_displayed()

    # The monitor's bars are <progress> elements now, drawn without inline widths.
    definitions.seed_templates()
    login(browser, base, "admin")
    browser.get(base + "/staff/surveys/hotline-callback/monitor")
    bars = browser.find_elements(By.CSS_SELECTOR, "#by-day progress.bar")
    assert bars and all(bar.size["width"] > 50 for bar in bars)
    # Nothing else was blocked on the way (the browser fixture checks again at teardown).
    assert policy_violations(browser) == []
