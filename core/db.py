"""Declarative base, naming convention and column types shared by every domain package."""

from __future__ import annotations

from datetime import datetime

from flask import g, has_app_context, request
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session
from sqlalchemy import DateTime, MetaData, Select
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

from core.clock import UTC, utcnow

# A fixed naming convention keeps Alembic's constraint names stable across SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetime stored as UTC; SQLite hands back naive values, so re-attach UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base carrying the naming convention."""

    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime},
    )


REPLICA_BIND = "analytics"


class RoutingSession(Session):
    """A session that sends the SELECTs of a request marked by `use_read_replica` to the read replica.

    Analysts' heavy reads then leave the primary to intake and handling. Writes (flushes, UPDATEs) always
    go to the primary, and without an ANALYTICS_DATABASE_URL there is no replica and nothing changes.
    """

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if (
            bind is None
            and isinstance(clause, Select)
            and has_app_context()
            and g.get("read_replica")
            and REPLICA_BIND in self._db.engines
        ):
            return self._db.engines[REPLICA_BIND]
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


def use_read_replica() -> None:
    """Route a GET request's reads to the replica (a before_request hook of analytics areas); requests
    that write read the primary, so they never act on a lagging copy."""
    g.read_replica = request.method in ("GET", "HEAD")


db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})

__all__ = ["Base", "UTCDateTime", "db", "use_read_replica", "utcnow"]


def render_migration_item(type_: str, obj, autogen_context):
    """Alembic hook: render UTCDateTime as a plain aware DateTime so revisions import nothing of ours."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False
