"""Survey definitions: create, edit (a new draft version when the current one is published), publish,
close, reopen, and the three shipped templates."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import select

from core.auth.models import User
from core.db import db, utcnow
from core.errors import Conflict, InvalidInput, NotFound, flatten_errors
from core.regions import Region
from surveys.definition import load_definition
from surveys.models import Survey, SurveyVersion
from surveys.vocab import SurveyStatus

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
# The ready-made surveys DESIGN.md names; each file is a definition the builder could have produced.
TEMPLATES = ("hotline-callback", "service-satisfaction", "government-work")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


def load_template(name: str) -> dict[str, Any]:
    """The definition of a shipped template."""
    if name not in TEMPLATES:
        raise InvalidInput("template", f"must be one of {', '.join(TEMPLATES)}")
    return json.loads((DATA_DIR / f"{name}.json").read_text(encoding="utf-8"))


def validate_definition(raw: Any) -> dict[str, Any]:
    """A checked definition ready to store; 422 naming every field at fault ("questions.3.options")."""
    if not isinstance(raw, dict):
        raise InvalidInput("definition", "must be a JSON object")
    try:
        definition = load_definition(raw)
    except ValidationError as exc:
        raise InvalidInput.many(flatten_errors(exc.messages)) from None
    _check_regions(definition)
    return definition


def _check_regions(definition: dict[str, Any]) -> None:
    """District options and margins must be codes of the regions catalogue."""
    known = set(db.session.scalars(select(Region.code)))
    errors: dict[str, list[str]] = {}
    for index, question in enumerate(definition["questions"]):
        if question.get("attribute") == "district":
            unknown = [o["value"] for o in question["options"] if o["value"] not in known]
            if unknown:
                errors[f"questions.{index}.options"] = [f"unknown GB/T 2260 codes: {', '.join(unknown)}"]
    margins = (definition.get("weighting") or {}).get("margins", {})
    unknown = sorted(set(margins.get("district", {})) - known)
    if unknown:
        errors["weighting.margins.district"] = [f"unknown GB/T 2260 codes: {', '.join(unknown)}"]
    if errors:
        raise InvalidInput.many(errors)


def list_surveys() -> list[Survey]:
    """Every survey, newest first."""
    return list(db.session.scalars(select(Survey).order_by(Survey.created_at.desc(), Survey.id.desc())))


def get_survey(slug: str, lock: bool = False) -> Survey:
    """The survey with this slug (404 otherwise); `lock` serialises writers on its row."""
    query = select(Survey).where(Survey.slug == slug)
    survey = db.session.scalar(query.with_for_update(of=Survey) if lock else query)
    if survey is None:
        raise NotFound(f"no survey {slug!r}")
    return survey


def get_public_survey(slug: str) -> tuple[Survey, SurveyVersion]:
    """A published survey and the version respondents get; drafts look like unknown slugs."""
    survey = get_survey(slug)
    if survey.published is None:
        raise NotFound(f"no survey {slug!r}")
    return survey, survey.published


def create_survey(slug: str, definition: Any, staff: User | None) -> Survey:
    """A new survey with draft version 1."""
    if not SLUG.match(slug or ""):
        raise InvalidInput("slug", "lower-case letters, digits and -, 2 to 63 characters")
    checked = validate_definition(definition)
    if db.session.scalar(select(Survey.id).where(Survey.slug == slug)) is not None:
        raise Conflict(f"a survey {slug!r} already exists", {"slug": ["already taken"]})
    survey = Survey(slug=slug, created_by_id=staff.id if staff else None)
    survey.versions.append(SurveyVersion(number=1, definition=checked, created_by_id=survey.created_by_id))
    db.session.add(survey)
    db.session.commit()
    return survey


def start_draft(slug: str, staff: User | None) -> SurveyVersion:
    """The editable draft: the existing one, or a new version copied from the latest published one."""
    survey = get_survey(slug, lock=True)
    draft = survey.draft or _new_draft(survey, staff)
    db.session.commit()
    return draft


def _new_draft(survey: Survey, staff: User | None) -> SurveyVersion:
    latest = survey.latest
    draft = SurveyVersion(
        number=latest.number + 1,
        definition=copy.deepcopy(latest.definition),
        created_by_id=staff.id if staff else None,
    )
    survey.versions.append(draft)
    db.session.flush()
    return draft


def save_draft(slug: str, definition: Any, staff: User | None) -> SurveyVersion:
    """Replace the draft's definition; a published survey gets a new draft version, never an edit."""
    checked = validate_definition(definition)
    survey = get_survey(slug, lock=True)
    draft = survey.draft or _new_draft(survey, staff)
    draft.replace_definition(checked)
    db.session.commit()
    return draft


def publish_draft(slug: str) -> Survey:
    """Publish the draft (it becomes immutable) and open the survey."""
    survey = get_survey(slug, lock=True)
    draft = survey.draft
    if draft is None:
        raise Conflict("there is no draft to publish; edit the survey first")
    # Re-check: the regions catalogue may have changed since the draft was saved.
    validate_definition(draft.definition)
    survey.publish(draft, utcnow())
    db.session.commit()
    return survey


def close_survey(slug: str) -> Survey:
    """Stop collecting responses."""
    survey = get_survey(slug, lock=True)
    survey.close()
    db.session.commit()
    return survey


def reopen_survey(slug: str) -> Survey:
    """Collect again with the published version."""
    survey = get_survey(slug, lock=True)
    survey.reopen()
    db.session.commit()
    return survey


def seed_templates() -> dict[str, str]:
    """Publish each shipped template under its own slug unless that slug exists (safe to repeat)."""
    done = {}
    for name in TEMPLATES:
        survey = db.session.scalar(select(Survey).where(Survey.slug == name))
        if survey is not None:
            done[name] = f"kept ({survey.status}, version {survey.published_version})"
            continue
        create_survey(name, load_template(name), None)
        publish_draft(name)
        done[name] = "published"
    return done


def is_open(survey: Survey) -> bool:
    """Collecting responses now."""
    return survey.status == SurveyStatus.OPEN and survey.published is not None
