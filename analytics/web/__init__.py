"""Analyst dashboard pages under /analytics (server-rendered; charts drawn by core/static/charts.js).

Importing the page modules attaches their views to the one blueprint, `bp`, that the app registers.
"""

from analytics.web import drilldown, exports, hotspots, ledger, overview
from analytics.web.common import bp

__all__ = ["bp", "drilldown", "exports", "hotspots", "ledger", "overview"]
