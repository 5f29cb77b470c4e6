"""`flask analytics ...` commands for analysts and the scheduler (thin wrappers over analytics services)."""

from __future__ import annotations

from flask.cli import AppGroup

analytics_cli = AppGroup("analytics", help="Analytics: rollups, reports.")
