"""Browser fixtures: the app served on 127.0.0.1 by a real WSGI server thread, and headless Chromium.

Chromium and its driver come from Debian (`apt-get install chromium chromium-driver fonts-wqy-microhei`,
done by `make test` / `.ci/run`). Screenshots go to $QUALITYLINE_SCREENSHOT_DIR (default
test-artifacts/screenshots); CI lists them after the run.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from werkzeug.serving import make_server

SCREENSHOTS = Path(os.environ.get("QUALITYLINE_SCREENSHOT_DIR", "test-artifacts/screenshots"))
PHONE = (390, 844)
DESKTOP = (1280, 900)


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def chrome() -> Iterator[webdriver.Chrome]:
    binary, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not (binary and driver_path):
        pytest.fail("Chromium is missing: apt-get install chromium chromium-driver fonts-wqy-microhei")
    profile = tempfile.mkdtemp(prefix="ql-chrome-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    # The flags keep Chromium off the (closed) network and out of the root sandbox problem.
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    # Generous waits: CI machines run the browser next to the server and the rest of the suite.
    driver.implicitly_wait(10)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def policy_violations(driver: webdriver.Chrome) -> list[str]:
    """Console reports of blocked inline scripts or styles (Content-Security-Policy) and of bad policy
    headers since the last call (reading the log empties it)."""
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry["source"] == "security" or "Policy" in entry["message"]
    ]


@pytest.fixture()
def browser(chrome, live_server, org) -> Iterator[webdriver.Chrome]:
    """A fresh browser session (no cookies) on a clean database with the test organisation. Every browser
    test also proves its pages work under the Content-Security-Policy: nothing was blocked."""
    chrome.get(live_server + "/healthz")
    chrome.delete_all_cookies()
    chrome.set_window_size(*DESKTOP)
    policy_violations(chrome)
    yield chrome
    violations = policy_violations(chrome)
    chrome.delete_all_cookies()
    assert not violations, violations


def screenshot(driver: webdriver.Chrome, name: str) -> Path:
    """Save a full-height screenshot of the current page."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = driver.get_window_size()["width"]
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, max(height + 100, 600))
    path = SCREENSHOTS / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}.png"
    driver.save_screenshot(str(path))
    return path
