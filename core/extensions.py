"""Extension singletons, bound to an app with init_app in the factory."""

from __future__ import annotations

from flask_migrate import Migrate
from sqlalchemy import event
from sqlalchemy.engine import Engine

from core.db import db
from core.errors import Api

migrate = Migrate()
api = Api()

__all__ = ["api", "db", "migrate"]


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # SQLite ignores foreign keys unless asked, and WAL + busy_timeout let gunicorn workers share the file.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()
