"""Prometheus metrics (prometheus_client): request counts and latencies per endpoint, plus gauges read
from the database at scrape time (cases, outbox, scheduler) so every web worker tells the same story.

Under gunicorn, PROMETHEUS_MULTIPROC_DIR (set by deploy/gunicorn.conf.py) makes the request metrics of
all workers add up; without it (flask run, tests) they live in this process.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator

from flask import Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.exc import SQLAlchemyError

from core.db import db, utcnow
from core.scheduler.heartbeat import current_heartbeat, job_stats

log = logging.getLogger(__name__)

MetricSource = Callable[[], Iterable[Metric]]
SOURCES_EXTENSION = "qualityline.metric_sources"

_local = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "qualityline_http_requests",
    "HTTP requests by method, Flask endpoint and status code",
    ["method", "endpoint", "status"],
    registry=_local,
)
LATENCY = Histogram(
    "qualityline_http_request_duration_seconds",
    "HTTP request latency by method and Flask endpoint",
    ["method", "endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=_local,
)


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _observe(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    # The endpoint name, not the path: tracking codes in URLs would make a time series per case.
    endpoint = request.endpoint or "unmatched"
    REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
    if started is not None:
        LATENCY.labels(request.method, endpoint).observe(time.perf_counter() - started)
    return response


def init_metrics(app: Flask, sources: tuple[MetricSource, ...] = ()) -> None:
    """Time every request and remember the domain packages' gauge sources for /metrics."""
    app.before_request(_start_timer)
    app.after_request(_observe)
    app.extensions[SOURCES_EXTENSION] = sources


def scheduler_metrics() -> Iterator[Metric]:
    """Job runs and failures (counted by the scheduler in the database) and the heartbeat's age."""
    runs = CounterMetricFamily("qualityline_job_runs", "Finished runs of each scheduled job", labels=["job"])
    failures = CounterMetricFamily(
        "qualityline_job_failures", "Failed runs of each scheduled job", labels=["job"]
    )
    last_success = GaugeMetricFamily(
        "qualityline_job_last_success_timestamp_seconds", "When each job last succeeded", labels=["job"]
    )
    duration = GaugeMetricFamily(
        "qualityline_job_last_duration_seconds", "How long each job's last run took", labels=["job"]
    )
    for stat in job_stats():
        runs.add_metric([stat.job_id], stat.runs)
        failures.add_metric([stat.job_id], stat.failures)
        if stat.last_success_at is not None:
            last_success.add_metric([stat.job_id], stat.last_success_at.timestamp())
        if stat.last_duration_seconds is not None:
            duration.add_metric([stat.job_id], stat.last_duration_seconds)
    yield from (runs, failures, last_success, duration)
    heartbeat = current_heartbeat()
    age = GaugeMetricFamily(
        "qualityline_scheduler_heartbeat_age_seconds",
        "Seconds since the leading scheduler's last heartbeat (absent: no scheduler ever ran)",
    )
    if heartbeat is not None:
        age.add_metric([], (utcnow() - heartbeat.beat_at).total_seconds())
    yield age


class _DatabaseCollector:
    """Reads the gauges at scrape time; a database outage yields qualityline_database_up 0, not a 500."""

    def __init__(self, sources: tuple[MetricSource, ...]):
        self.sources = sources

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("qualityline_database_up", "1 if the database answered this scrape")
        try:
            metrics = list(scheduler_metrics())
            for source in self.sources:
                metrics.extend(source())
        except SQLAlchemyError as exc:
            db.session.rollback()
            log.warning("metrics: database unavailable: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from metrics


class _LocalCollector:
    def collect(self) -> Iterator[Metric]:
        return _local.collect()


def render_metrics() -> tuple[bytes, str]:
    """The Prometheus text exposition of every metric."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(_LocalCollector())
    registry.register(_DatabaseCollector(current_app.extensions.get(SOURCES_EXTENSION, ())))
    return generate_latest(registry), CONTENT_TYPE_LATEST
