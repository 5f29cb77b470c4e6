"""The intake bench's baseline: the least a Flask endpoint can do with a submission, served like the app.

`POST /api/v1/complaints` parses the JSON body and inserts one row with SQLAlchemy Core (one transaction,
one round trip for the INSERT), then answers 201 with a tracking code, so the same wrk script drives it
and the same row check applies. No validation, catalogue, deadline, audit event or outbox row: what is
left is Flask, gunicorn, the connection pool and one indexed INSERT, the floor under the real intake.

Served by bench/intake_bench.py with the production gunicorn config:
    gunicorn -c deploy/gunicorn.conf.py --pythonpath bench 'baseline_app:create_app()'
with QUALITYLINE_DATABASE_URL naming the bench database (the table is created by the bench).
"""

from __future__ import annotations

import os
import secrets

from flask import Flask, jsonify, request
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    func,
    insert,
)

metadata = MetaData()
submissions = Table(
    "bench_baseline_submissions",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("tracking_code", String(24), nullable=False, unique=True),
    Column("idempotency_key", String(128)),
    Column("kind", String(16), nullable=False),
    Column("title", String(100), nullable=False),
    Column("description", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


def create_app() -> Flask:
    """The baseline app on QUALITYLINE_DATABASE_URL, with the pool settings core.config gives the app."""
    engine = create_engine(
        os.environ["QUALITYLINE_DATABASE_URL"],
        pool_pre_ping=True,
        pool_size=int(os.environ.get("QUALITYLINE_DB_POOL_SIZE", 5)),
        max_overflow=int(os.environ.get("QUALITYLINE_DB_MAX_OVERFLOW", 5)),
        pool_recycle=1800,
    )
    app = Flask(__name__)

    @app.post("/api/v1/complaints")
    def submit():
        body = request.get_json()
        code = "BL-" + secrets.token_hex(8).upper()
        with engine.begin() as conn:
            conn.execute(
                insert(submissions).values(
                    tracking_code=code,
                    idempotency_key=request.headers.get("Idempotency-Key"),
                    kind=body["kind"],
                    title=body["title"],
                    description=body["description"],
                )
            )
        return jsonify(tracking_code=code), 201

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    return app
