"""Overview panels beyond the complaint KPIs, in page order. Each planned analysis has a slot here.

To fill a slot: give it a `build(filters) -> PanelContent | None` (None: nothing to show for this view).
The default template draws `content.chart` (a spec from analytics.web.charts) above a table of
`content.columns` x `content.rows` (the same numbers, readable without JavaScript). A panel needing more
sets `template` to its own file, which receives `panel`, `content` and `filters`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from analytics.web.common import Filters

DEFAULT_TEMPLATE = "analytics/_panel.html"


@dataclass
class PanelContent:
    """What a panel shows for one view: an optional chart spec and the table of its numbers."""

    columns: list[Any]
    rows: list[list[Any]]
    chart: dict[str, Any] | None = None
    note: Any = None
    links: list[tuple[Any, str]] = field(default_factory=list)  # (label, url), e.g. a page or a download


@dataclass(frozen=True)
class Panel:
    """One section of the overview; `build` None = slot planned, not shown yet."""

    slot: str  # id of the section (#panel-<slot>) and of its chart
    title: Any
    build: Callable[[Filters], PanelContent | None] | None = None
    template: str = DEFAULT_TEMPLATE


OVERVIEW_PANELS: list[Panel] = [
    Panel("three-rate", _l("Three-rate score by department")),
    Panel("indicators", _l("Indicator system")),
    Panel("survey-index", _l("Satisfaction index with confidence intervals")),
    Panel("ipa", _l("Importance–performance analysis")),
    Panel("hotspots", _l("Hot spots")),
]


def build_panels(filters: Filters) -> list[tuple[Panel, PanelContent]]:
    """(panel, content) of every filled slot that has something to show for this view."""
    built = []
    for panel in OVERVIEW_PANELS:
        content = panel.build(filters) if panel.build else None
        if content is not None:
            built.append((panel, content))
    return built
