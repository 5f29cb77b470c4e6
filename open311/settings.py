"""QUALITYLINE_OPEN311_* settings, read from the environment like core/config.py's (defaults below)."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from core.config import ENV_PREFIX

# name -> (default, parser, description); docs/open311.md lists them.
OPEN311_SETTINGS: dict[str, tuple[Any, Any, str]] = {
    "OPEN311_JURISDICTION_ID": (
        "",
        str,
        "jurisdiction_id this endpoint serves (empty: one jurisdiction, the parameter is ignored)",
    ),
    "OPEN311_REGION_CODE": (
        "350100",
        str,
        "Region of an Open311 request whose address names no district (GB/T 2260 code)",
    ),
    "OPEN311_CONTACT": (
        "12345 热线 / 12345 hotline, open311@12345.example.gov.cn",
        str,
        "Discovery document: how to reach the people running this endpoint",
    ),
    "OPEN311_KEY_SERVICE": (
        "Ask the 12345 platform administrators for an api_key (open311@12345.example.gov.cn)",
        str,
        "Discovery document: how a partner gets an api_key",
    ),
    "OPEN311_ENDPOINT_TYPE": ("production", str, "Discovery document: production or test"),
    "OPEN311_SERVICE_TYPE": (
        "realtime",
        str,
        "realtime: POST returns the service_request_id; batch: it returns a token for tokens/<token>",
    ),
    "OPEN311_RATE_LIMIT": (
        "30 per minute;2000 per day",
        str,
        "POSTs accepted per api_key (per client address when the key is missing or wrong)",
    ),
}

ENDPOINT_TYPES = ("production", "test")
SERVICE_TYPES = ("realtime", "batch")


def init_open311_settings(app: Flask) -> None:
    """Fill the app config from QUALITYLINE_OPEN311_* unless the app factory's caller set them."""
    for name, (default, parser, _doc) in OPEN311_SETTINGS.items():
        raw = os.environ.get(ENV_PREFIX + name)
        app.config.setdefault(name, default if raw is None else parser(raw))
    if app.config["OPEN311_ENDPOINT_TYPE"] not in ENDPOINT_TYPES:
        raise ValueError(f"QUALITYLINE_OPEN311_ENDPOINT_TYPE must be one of {', '.join(ENDPOINT_TYPES)}")
    if app.config["OPEN311_SERVICE_TYPE"] not in SERVICE_TYPES:
        raise ValueError(f"QUALITYLINE_OPEN311_SERVICE_TYPE must be one of {', '.join(SERVICE_TYPES)}")
