"""Overview panels beyond the complaint KPIs, in page order. Each planned analysis has a slot here.

To fill a slot: give it a `build(filters) -> PanelContent | None` (None: nothing to show for this view).
The default template draws `content.chart` (a spec from analytics.web.charts) above a table of
`content.columns` x `content.rows` (the same numbers, readable without JavaScript). A panel needing more
sets `template` to its own file, which receives `panel`, `content` and `filters` (`content.extra` carries
what it needs). The build functions live in their own modules (three_rate_panel, indicator_panel,
survey_panels).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from analytics.web.common import Filters
from analytics.web.hotspot_panel import hotspot_panel
from analytics.web.indicator_panel import indicator_panel
from analytics.web.panel_content import DEFAULT_TEMPLATE, Panel, PanelContent
from analytics.web.survey_panels import ipa_panel, survey_index_panel
from analytics.web.three_rate_panel import three_rate_panel

__all__ = ["DEFAULT_TEMPLATE", "OVERVIEW_PANELS", "Panel", "PanelContent", "build_panels"]

OVERVIEW_PANELS: list[Panel] = [
    Panel(
        "three-rate",
        _l("Three-rate score by department"),
        three_rate_panel,
        "analytics/_panel_three_rate.html",
    ),
    Panel("indicators", _l("Indicator system"), indicator_panel, "analytics/_panel_indicators.html"),
    Panel(
        "survey-index",
        _l("Satisfaction index with confidence intervals"),
        survey_index_panel,
        "analytics/_panel_survey_index.html",
    ),
    Panel("ipa", _l("Importance–performance analysis"), ipa_panel, "analytics/_panel_ipa.html"),
    Panel("hotspots", _l("Hot spots"), hotspot_panel),
]


def build_panels(filters: Filters) -> list[tuple[Panel, PanelContent]]:
    """(panel, content) of every filled slot that has something to show for this view."""
    built = []
    for panel in OVERVIEW_PANELS:
        content = panel.build(filters) if panel.build else None
        if content is not None:
            built.append((panel, content))
    return built
