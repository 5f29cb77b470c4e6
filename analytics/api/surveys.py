"""Survey analytics API for analysts, supervisors and admins: 0-100 indices by group, a sector's pooled
indices and the ACSI/CCSI model (JSON, CSV or XLSX). Aggregates only: no respondent data."""

from __future__ import annotations

from analytics.api.common import ANALYTICS_ROLES, JSON_OR_TABLE, URL_PREFIX, send_table
from analytics.services import acsi, sector_indices, survey_indices, survey_tables
from analytics.survey_schemas import ModelQuery, SurveyIndexQuery, WeightingQuery
from core.api import Blueprint
from core.auth.guard import staff_required
from core.db import use_read_replica

blp = Blueprint(
    "analytics_surveys", __name__, url_prefix=URL_PREFIX, description="Survey indices and the ACSI model"
)
blp.before_request(use_read_replica)


@blp.route("/surveys/<slug>/index", methods=["GET"])
@staff_required(*ANALYTICS_ROLES)
@blp.arguments(SurveyIndexQuery, location="query")
@blp.response(200)
@blp.doc(responses=JSON_OR_TABLE)
def get_survey_index(args: dict, slug: str):
    """0-100 index per construct and indicator code for responses submitted in [from, to), by group, with SE,
    95 % CI, n, Kish effective n, design effect and response rate; cells below the minimum suppressed."""
    report = survey_indices.compute_survey_index(
        slug,
        args["start"],
        args["end"],
        version=args["version"],
        group_by=args["group_by"],
        weighting=args["weighting"],
        poststrata=args["poststrata"],
    )
    if args["format"] != "json":
        name = f"{slug}-index-{args['start']}-{args['end']}"
        return send_table(survey_tables.index_table(report), args["format"], name)
    return report


@blp.route("/sectors/<sector>/index", methods=["GET"])
@staff_required(*ANALYTICS_ROLES)
@blp.arguments(WeightingQuery, location="query")
@blp.response(200)
@blp.doc(responses=JSON_OR_TABLE)
def get_sector_index(args: dict, sector: str):
    """Construct indices of every published survey of a sector and their pooled index (by effective n)."""
    report = sector_indices.compute_sector_index(sector, args["start"], args["end"], args["weighting"])
    if args["format"] != "json":
        name = f"{sector}-index-{args['start']}-{args['end']}"
        return send_table(survey_tables.sector_table(report), args["format"], name)
    return report


@blp.route("/surveys/<slug>/model", methods=["GET"])
@staff_required(*ANALYTICS_ROLES)
@blp.arguments(ModelQuery, location="query")
@blp.response(200)
@blp.doc(responses=JSON_OR_TABLE)
def get_survey_model(args: dict, slug: str):
    """ACSI/CCSI model: PLS paths with bootstrap CIs, R², loadings, reliability, importance-performance
    quadrants; status "not_enough_data" below the minimum n. Files hold one table (table=...)."""
    report = acsi.compute_acsi_model(
        slug,
        args["start"],
        args["end"],
        version=args["version"],
        bootstrap=args["bootstrap"],
        seed=args["seed"],
    )
    if args["format"] != "json":
        name = f"{slug}-model-{args['table']}-{args['start']}-{args['end']}"
        return send_table(survey_tables.model_table(report, args["table"]), args["format"], name)
    return report
