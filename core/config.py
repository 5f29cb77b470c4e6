"""Settings, read only from QUALITYLINE_* environment variables (twelve-factor, as Redash does)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

ENV_PREFIX = "QUALITYLINE_"

# name -> (default, parser, description); the README's configuration table is generated from this.
SETTINGS: dict[str, tuple[Any, Any, str]] = {
    "DATABASE_URL": (None, str, "SQLAlchemy URL; default is an SQLite file under instance/"),
    "SECRET_KEY": ("dev-only-change-me", str, "Signs sessions and derives idempotent access keys"),
    "TIMEZONE": ("Asia/Shanghai", str, "Local zone for working days and deadlines"),
    "TOKEN_TTL_HOURS": (12, int, "Lifetime of staff API bearer tokens"),
    "MAX_CONTENT_LENGTH": (1_048_576, int, "Largest accepted request body in bytes"),
    "PAGE_SIZE_MAX": (200, int, "Largest page a list endpoint returns"),
    "LOG_LEVEL": ("INFO", str, "Python logging level"),
    "PASSWORD_HASH_METHOD": ("scrypt", str, "werkzeug password hash method (scrypt, or pbkdf2:sha256:N)"),
}


def _parse_bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_settings(instance_path: str) -> dict[str, Any]:
    """Build the Flask config mapping from the environment."""
    config: dict[str, Any] = {}
    for name, (default, parser, _doc) in SETTINGS.items():
        raw = os.environ.get(ENV_PREFIX + name)
        config[name] = default if raw is None else (parser(raw) if parser is not bool else _parse_bool(raw))
    url = config.pop("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'qualityline.sqlite3'}"
    config["SQLALCHEMY_DATABASE_URI"] = url
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    config.update(
        API_TITLE="QualityLine",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        JSON_AS_ASCII=False,
    )
    return config
