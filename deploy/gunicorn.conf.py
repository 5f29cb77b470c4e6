"""gunicorn settings; every value can be overridden with QUALITYLINE_GUNICORN_* / GUNICORN_CMD_ARGS."""

import multiprocessing
import os

bind = os.environ.get("QUALITYLINE_BIND", "127.0.0.1:8000")
# 2 x cores + 1 sync workers: requests are short and database-bound.
workers = int(os.environ.get("QUALITYLINE_WORKERS", multiprocessing.cpu_count() * 2 + 1))
timeout = int(os.environ.get("QUALITYLINE_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5
max_requests = 2000  # recycle workers now and then so slow leaks cannot build up
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("QUALITYLINE_FORWARDED_ALLOW_IPS", "127.0.0.1")
# The scheduler never runs inside web workers; it is its own process (flask scheduler run).
