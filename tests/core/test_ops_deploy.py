"""deploy/: env.example documents every setting, the systemd units and nginx agree with each other, and
gunicorn started with deploy/gunicorn.conf.py on a unix socket adds up the metrics of all its workers."""

import configparser
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from core.config import SETTINGS
from open311.settings import OPEN311_SETTINGS
from surveys.settings import SURVEY_SETTINGS

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
GUNICORN_VARIABLES = {"BIND", "WORKERS", "TIMEOUT", "FORWARDED_ALLOW_IPS"}


def test_env_example_documents_every_setting_and_nothing_else():
    text = (DEPLOY / "env.example").read_text()
    named = set(re.findall(r"^#?QUALITYLINE_([A-Z0-9_]+)=", text, flags=re.MULTILINE))
    assert set(SETTINGS) | set(SURVEY_SETTINGS) | set(OPEN311_SETTINGS) | GUNICORN_VARIABLES == named
    for line in text.splitlines():
        if line and not line.startswith("#"):
            assert re.fullmatch(r"[A-Z_]+=\S.*", line) and " #" not in line, line  # systemd syntax


def test_gunicorn_config_reads_the_environment():
    probe = (
        "import json, runpy; c = runpy.run_path('deploy/gunicorn.conf.py'); "
        "print(json.dumps({k: c[k] for k in ('bind', 'workers', 'timeout', 'accesslog', 'preload_app')}))"
    )
    env = {**os.environ, "QUALITYLINE_BIND": "unix:/run/qualityline/web.sock"}
    env.pop("QUALITYLINE_WORKERS", None)
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True)
    config = json.loads(result.stdout)
    assert config == {
        "bind": "unix:/run/qualityline/web.sock",
        "workers": 2 * os.cpu_count() + 1,
        "timeout": 30,
        "accesslog": "-",
        "preload_app": False,
    }


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read(DEPLOY / name)
    return parser


def test_systemd_units_and_nginx_agree():
    web, scheduler = unit("qualityline-web.service"), unit("qualityline-scheduler.service")
    assert "gunicorn --config deploy/gunicorn.conf.py" in web["Service"]["ExecStart"]
    assert "scheduler" not in web["Service"]["ExecStart"]
    assert scheduler["Service"]["ExecStart"].endswith("qualityline scheduler run")
    for service in (web, scheduler):
        assert service["Service"]["EnvironmentFile"] == "/etc/qualityline/env"
        assert service["Service"]["WorkingDirectory"] == "/opt/qualityline"
    socket_path = "/run/qualityline/web.sock"
    assert (
        f"Environment=QUALITYLINE_BIND=unix:{socket_path}" in (DEPLOY / "qualityline-web.service").read_text()
    )
    assert web["Service"]["RuntimeDirectory"] == "qualityline" and web["Service"]["Group"] == "www-data"
    nginx = (DEPLOY / "nginx.conf").read_text()
    assert f"server unix:{socket_path}" in nginx and "client_max_body_size" in nginx
    assert "alias /opt/qualityline/core/static/" in nginx
    proxy = (DEPLOY / "nginx-proxy.conf").read_text()
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host"):
        assert f"proxy_set_header {header}" in proxy


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str):
        super().__init__("localhost", timeout=10)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def get(path: str, url: str) -> tuple[int, str]:
    connection = UnixHTTPConnection(path)
    connection.request("GET", url)
    response = connection.getresponse()
    body = response.read().decode()
    connection.close()
    return response.status, body


def test_gunicorn_on_a_unix_socket_adds_up_metrics_of_all_workers(app, tmp_path):
    sock = tmp_path / "web.sock"
    env = {
        **os.environ,
        "QUALITYLINE_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "QUALITYLINE_BIND": f"unix:{sock}",
        "QUALITYLINE_WORKERS": "3",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "--config", "deploy/gunicorn.conf.py", "core.app:create_app()"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not sock.exists() or get(str(sock), "/healthz")[0] != 200:
            assert time.monotonic() < deadline and server.poll() is None, "gunicorn did not come up"
            time.sleep(0.2)
        for _ in range(30):  # spread over the workers by the kernel
            assert get(str(sock), "/healthz")[0] == 200
        status, text = get(str(sock), "/metrics")
        assert status == 200
        counted = {
            tuple(sorted(s.labels.items())): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
            if s.name == "qualityline_http_requests_total"
        }
        healthz = (("endpoint", "ops.healthz"), ("method", "GET"), ("status", "200"))
        assert counted[healthz] == 31  # every worker's requests, not just the answering worker's
        assert oct(sock.stat().st_mode & 0o777) == "0o770"  # umask 007: nginx's group may connect
    finally:
        server.terminate()
        server.wait(30)
