"""gunicorn settings; every value can be overridden with QUALITYLINE_* / GUNICORN_CMD_ARGS."""

import multiprocessing
import os
import shutil
import tempfile

# prometheus_client multiprocess mode: each worker writes its request metrics to files in this
# directory and /metrics adds them up, so a scrape sees all workers, not the one that answered. It must
# be set before a worker imports prometheus_client (workers import the app after the fork) and emptied
# when the server starts. systemd sets it to /run/qualityline/metrics; elsewhere one per master process.
os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", os.path.join(tempfile.gettempdir(), f"qualityline-metrics-{os.getpid()}")
)

from prometheus_client import multiprocess  # noqa: E402 (needs the directory set first)

bind = os.environ.get("QUALITYLINE_BIND", "127.0.0.1:8000")
# 2 x cores + 1 sync workers: requests are short and database-bound.
workers = int(os.environ.get("QUALITYLINE_WORKERS", multiprocessing.cpu_count() * 2 + 1))
timeout = int(os.environ.get("QUALITYLINE_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5
max_requests = 2000  # recycle workers now and then so slow leaks cannot build up
max_requests_jitter = 200
# Access log to stdout (journald / make run), with the request time in milliseconds at the end.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
forwarded_allow_ips = os.environ.get("QUALITYLINE_FORWARDED_ALLOW_IPS", "127.0.0.1")
# A unix socket bound under systemd is created group-writable for nginx (Group=www-data in the unit).
umask = 0o007
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"  # worker heartbeat files off the (possibly slow) disk
# The scheduler never runs inside web workers; it is its own process (flask scheduler run), so no
# preload_app and no job code here: N workers must not mean N schedulers.
preload_app = False


def on_starting(server):
    path = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(path, ignore_errors=True)  # counters of a previous run must not leak into this one
    os.makedirs(path, exist_ok=True)


def child_exit(server, worker):
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    path = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    if os.path.basename(path).startswith("qualityline-metrics-"):
        shutil.rmtree(path, ignore_errors=True)
