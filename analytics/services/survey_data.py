"""Survey responses as analysis arrays: one row per complete, non-duplicate response submitted in
[from, to) (local days), its weighting attributes, and every scored answer rescaled to 0-100.

Only numbers are read (scored answers and the respondent's district, age group and sex): no contact
data, case link or free text ever enters an analysis. Each answer is scored with its own version's
question (scale ends, reverse coding), so versions with different wording pool on one 0-100 scale:
score = 100 (x - low) / (high - low), reversed 100 - score; yes = 100, no = 0. "Don't know" and
questions not shown (skip logic) are missing values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from flask import current_app
from sqlalchemy import select

from analytics.services.complaint_kpis import period_bounds
from core.db import db
from core.errors import NotFound
from surveys import questions as q
from surveys.models import Survey, SurveyAnswer, SurveyResponse, SurveyVersion
from surveys.services.definitions import get_survey
from surveys.vocab import CONSTRUCTS, ResponseStatus

ATTRIBUTE_NAMES = ("district", "age_group", "sex")
# Names of the ACSI/CCSI constructs in reports.
CONSTRUCT_NAMES = {
    "image": ("形象", "image"),
    "expectation": ("预期质量", "expectation"),
    "perceived_quality": ("感知质量", "perceived quality"),
    "perceived_value": ("感知价值", "perceived value"),
    "satisfaction": ("满意度", "satisfaction"),
    "complaint": ("抱怨", "complaint"),
    "loyalty": ("忠诚度", "loyalty"),
}


@dataclass(frozen=True)
class Item:
    """A scored question as analysed (construct and indicator from the newest version that asks it)."""

    code: str
    construct: str
    indicator: str
    type: str
    conditional: bool  # asked only of some respondents (show_if)


@dataclass(eq=False)
class SurveySample:
    """Analysis arrays of one survey's responses in a period; row i is the same respondent everywhere."""

    survey: Survey
    versions: list[SurveyVersion]
    items: dict[str, Item]
    submitted: list[date]
    version_numbers: np.ndarray
    attributes: dict[str, np.ndarray]
    scores: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.submitted)

    @property
    def definition(self) -> dict[str, Any]:
        """The newest analysed version's definition: its margins and targets apply."""
        return self.versions[-1].definition

    def subset(self, keep: np.ndarray) -> SurveySample:
        """The same sample restricted to the rows where `keep` is true."""
        return SurveySample(
            self.survey,
            self.versions,
            self.items,
            [day for day, kept in zip(self.submitted, keep, strict=True) if kept],
            self.version_numbers[keep],
            {name: values[keep] for name, values in self.attributes.items()},
            {code: values[keep] for code, values in self.scores.items()},
        )

    def groups(self) -> dict[str, list[str]]:
        """Items per construct (ACSI order) and per indicator code (definition order), keyed kind:code."""
        out: dict[str, list[str]] = {}
        for construct in CONSTRUCTS:
            codes = [item.code for item in self.items.values() if item.construct == construct]
            if codes:
                out[f"construct:{construct}"] = codes
        for item in self.items.values():
            out.setdefault(f"indicator:{item.indicator}", []).append(item.code)
        return out

    def respondent_scores(self, codes: list[str]) -> np.ndarray:
        """Each respondent's mean over the items they answered (NaN when they answered none)."""
        matrix = np.column_stack([self.scores[code] for code in codes])
        answered = np.isfinite(matrix)
        total = np.where(answered, matrix, 0.0).sum(axis=1)
        count = answered.sum(axis=1)
        return np.divide(total, count, out=np.full(count.shape, np.nan), where=count > 0)


def analysed_versions(survey: Survey, version: int | None) -> list[SurveyVersion]:
    """The published versions to analyse: all of them, or the one numbered `version` (404 otherwise)."""
    published = [v for v in survey.versions if v.published_at is not None]
    if version is not None:
        published = [v for v in published if v.number == version]
    if not published:
        raise NotFound(f"survey {survey.slug!r} has no published version {version or ''}".rstrip())
    return published


def scored_items(versions: list[SurveyVersion]) -> dict[str, Item]:
    """Scored questions (with a construct) of the versions, newest wording first, in question order."""
    items: dict[str, Item] = {}
    for version in reversed(versions):
        for question in version.questions:
            if question.get("construct") and question["code"] not in items:
                items[question["code"]] = Item(
                    question["code"],
                    question["construct"],
                    question["indicator"],
                    question["type"],
                    bool(question.get("show_if")),
                )
    return items


def _scorers(versions: list[SurveyVersion]) -> dict[tuple[int, str], tuple[float, float, bool]]:
    """(version id, question code) -> (low, high, reverse) of every scored question."""
    out = {}
    for version in versions:
        for question in version.questions:
            if question.get("construct"):
                low, high = q.RANGES.get(question["type"], (0, 1))  # yes/no: no = 0, yes = 1
                out[(version.id, question["code"])] = (float(low), float(high), bool(question.get("reverse")))
    return out


def load_sample(slug: str, start: date, end: date, version: int | None = None) -> SurveySample:
    """The analysis arrays of survey `slug` for responses submitted in [start, end) (local days)."""
    survey = get_survey(slug)
    versions = analysed_versions(survey, version)
    lo, hi = period_bounds(start, end)
    where = (
        SurveyResponse.survey_id == survey.id,
        SurveyResponse.status == ResponseStatus.COMPLETE.value,
        SurveyResponse.is_duplicate.is_(False),
        SurveyResponse.submitted_at >= lo,
        SurveyResponse.submitted_at < hi,
        SurveyResponse.version_id.in_([v.id for v in versions]),
    )
    rows = db.session.execute(
        select(
            SurveyResponse.id,
            SurveyResponse.version_id,
            SurveyResponse.submitted_at,
            SurveyResponse.district,
            SurveyResponse.age_group,
            SurveyResponse.sex,
        )
        .where(*where)
        .order_by(SurveyResponse.id)
    ).all()
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    numbers = {v.id: v.number for v in versions}
    position = {row.id: index for index, row in enumerate(rows)}
    items = scored_items(versions)
    sample = SurveySample(
        survey,
        versions,
        items,
        [row.submitted_at.astimezone(tz).date() for row in rows],
        np.array([numbers[row.version_id] for row in rows], dtype=int),
        {name: np.array([getattr(row, name) for row in rows], dtype=object) for name in ATTRIBUTE_NAMES},
        {code: np.full(len(rows), np.nan) for code in items},
    )
    version_of = {row.id: row.version_id for row in rows}
    scorers = _scorers(versions)
    answers = db.session.execute(
        select(SurveyAnswer.response_id, SurveyAnswer.question_code, SurveyAnswer.number)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(*where, SurveyAnswer.number.is_not(None), SurveyAnswer.question_code.in_(list(items)))
    )
    for response_id, code, number in answers:
        scorer = scorers.get((version_of[response_id], code))
        if scorer is None:  # the question is scored in another version only
            continue
        low, high, reverse = scorer
        score = 100.0 * (float(number) - low) / (high - low)
        sample.scores[code][position[response_id]] = 100.0 - score if reverse else score
    return sample
