"""What an overview panel is (a slot with a build function) and what it shows for one view.

Kept apart from panels.py, which lists the slots, so the modules building panel content can use these
types without importing the list that imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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
    extra: dict[str, Any] = field(default_factory=dict)  # anything a panel's own template needs


@dataclass(frozen=True)
class Panel:
    """One section of the overview; `build` None = slot planned, not shown yet."""

    slot: str  # id of the section (#panel-<slot>) and of its chart
    title: Any
    build: Callable[[Filters], PanelContent | None] | None = None
    template: str = DEFAULT_TEMPLATE
