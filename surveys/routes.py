"""Survey API: the public survey and its responses; staff definitions, invitations, monitor, import and
export."""

from __future__ import annotations

import json

from flask import Response, current_app, request

from core.api import Blueprint
from core.auth.guard import current_staff, staff_required
from core.errors import InvalidInput
from core.web.extensions import limiter
from surveys.schemas import (
    SURVEY_EXPORTERS,
    SURVEY_MANAGERS,
    SURVEY_VIEWERS,
    BatchOut,
    CountOut,
    DraftIn,
    ExportQuery,
    ImportOut,
    InvitationPageOut,
    InvitationPageQuery,
    LinkInvitationIn,
    LinkInvitationOut,
    MonitorOut,
    MonitorQuery,
    PublicSurveyOut,
    ResponseIn,
    ResponseOut,
    SurveyCreateIn,
    SurveyOut,
    VersionOut,
    public_survey,
)
from surveys.services import definitions, exporting, importing, invitations, monitor, responses
from surveys.services.idempotency import MAX_KEY_LENGTH
from surveys.services.uploads import upload_name

blp = Blueprint(
    "surveys", __name__, url_prefix="/api/v1", description="Surveys: definitions, responses, fieldwork"
)

TOKEN_HEADER = "X-Survey-Token"
MULTIPART = {"content": {"multipart/form-data": {"schema": {"type": "object"}}}}
EXPORT_FILES = {
    200: {
        "description": "The responses as a CSV or XLSX file",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "schema": {"type": "string", "format": "binary"}
            },
        },
    }
}
UPLOAD_ERRORS = {
    413: "The upload is larger than MAX_CONTENT_LENGTH",
    422: "No file, or a file or field that cannot be read (the message names it)",
}


def response_rate_limit() -> str:
    return current_app.config["SURVEY_RESPONSE_RATE_LIMIT"]


def _upload() -> tuple[str, bytes]:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput("file", "attach the file as multipart form field 'file'")
    return upload.filename, upload.read()


# --- public --------------------------------------------------------------------------------------------
@blp.route("/surveys/<slug>", methods=["GET"])
@blp.response(200, PublicSurveyOut)
def get_survey(slug: str):
    """The published version of a survey: questions, types, options, skip conditions, languages."""
    return public_survey(*definitions.get_public_survey(slug))


@blp.route("/surveys/<slug>/responses", methods=["POST"])
@blp.errors(
    {
        409: "The survey is closed, not started or ended, its quota is full, or the token is used or expired",
        429: "Too many responses from this address (SURVEY_RESPONSE_RATE_LIMIT)",
    }
)
@limiter.limit(response_rate_limit)
@blp.arguments(ResponseIn)
@blp.response(201, ResponseOut)
@blp.doc(
    parameters=[
        {"in": "header", "name": TOKEN_HEADER, "schema": {"type": "string"}},
        {
            "in": "header",
            "name": "Idempotency-Key",
            "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
            "description": "Repeating a submission with the same key returns the same response",
        },
    ]
)
def submit_response(body: dict, slug: str):
    """Answer a survey; 422 names every question at fault ("answers.<code>"), 409 when closed, quota full,
    or the invitation is used or expired. Without a token the response is checked for repeats (flagged).
    A retry with the same Idempotency-Key gets the response the first attempt stored."""
    token = body["token"] or request.headers.get(TOKEN_HEADER)
    key = (request.headers.get("Idempotency-Key") or "").strip()[:MAX_KEY_LENGTH] or None
    if token:
        return responses.submit_invited_response(
            token,
            body["answers"],
            respondent=body["respondent"],
            locale=body["locale"],
            slug=slug,
            idempotency_key=key,
        )
    device = f"{request.remote_addr}|{request.headers.get('User-Agent', '')}"
    return responses.submit_open_response(
        slug,
        body["answers"],
        respondent=body["respondent"],
        locale=body["locale"],
        device_key=device,
        idempotency_key=key,
    )


# --- definitions ---------------------------------------------------------------------------------------
@blp.route("/surveys", methods=["GET"])
@staff_required(*SURVEY_VIEWERS)
@blp.response(200, SurveyOut(many=True))
def list_surveys():
    """Every survey with its versions."""
    return definitions.list_surveys()


@blp.route("/surveys", methods=["POST"])
@blp.errors({409: "The slug is already taken"})
@staff_required(*SURVEY_MANAGERS)
@blp.arguments(SurveyCreateIn)
@blp.response(201, SurveyOut)
def create_survey(body: dict):
    """Create a survey (draft version 1) from a shipped template or a full definition."""
    definition = body["definition"] or definitions.load_template(body["template"])
    return definitions.create_survey(body["slug"], definition, current_staff())


@blp.route("/surveys/<slug>/versions", methods=["GET"])
@staff_required(*SURVEY_VIEWERS)
@blp.response(200, VersionOut(many=True))
def list_versions(slug: str):
    """Every version with its definition, oldest first."""
    return definitions.get_survey(slug).versions


@blp.route("/surveys/<slug>/draft", methods=["PUT"])
@staff_required(*SURVEY_MANAGERS)
@blp.arguments(DraftIn)
@blp.response(200, VersionOut)
def save_draft(body: dict, slug: str):
    """Replace the draft; when the latest version is published this starts a new version."""
    return definitions.save_draft(slug, body["definition"], current_staff())


@blp.route("/surveys/<slug>/publish", methods=["POST"])
@blp.errors({409: "There is no draft to publish"})
@staff_required(*SURVEY_MANAGERS)
@blp.response(200, SurveyOut)
def publish(slug: str):
    """Publish the draft (immutable from now on) and open the survey."""
    return definitions.publish_draft(slug)


@blp.route("/surveys/<slug>/close", methods=["POST"])
@blp.errors({409: "The survey is not open"})
@staff_required(*SURVEY_MANAGERS)
@blp.response(200, SurveyOut)
def close(slug: str):
    """Stop collecting responses."""
    return definitions.close_survey(slug)


@blp.route("/surveys/<slug>/reopen", methods=["POST"])
@blp.errors({409: "The survey is not closed"})
@staff_required(*SURVEY_MANAGERS)
@blp.response(200, SurveyOut)
def reopen(slug: str):
    """Collect again with the published version."""
    return definitions.reopen_survey(slug)


# --- invitations ---------------------------------------------------------------------------------------
@blp.route("/surveys/<slug>/invitations", methods=["POST"])
@blp.errors({409: "The survey is not published and open"})
@staff_required(*SURVEY_MANAGERS)
@blp.response(201, BatchOut)
@blp.doc(requestBody=MULTIPART)
@blp.errors(UPLOAD_ERRORS)
def invite(slug: str):
    """Invite a CSV of contacts (columns contact, district, age_group, sex, locale; multipart field "file",
    optional "days"); any bad row creates nothing and the 422 names each row."""
    name, content = _upload()
    upload_name(name, ("csv",))
    days = request.form.get("days", type=int)
    return invitations.invite_contacts(slug, content, current_staff(), days)


@blp.route("/surveys/<slug>/invitations/link", methods=["POST"])
@blp.errors({409: "The survey is not published and open"})
@staff_required(*SURVEY_MANAGERS)
@blp.arguments(LinkInvitationIn)
@blp.response(201, LinkInvitationOut)
def invite_by_hand(body: dict, slug: str):
    """One invitation to hand out yourself; the token is shown only in this response."""
    invitation, token = invitations.create_link_invitation(slug, current_staff(), body["days"])
    return {"token": token, "link": invitations.invitation_link(token), "expires_at": invitation.expires_at}


@blp.route("/surveys/<slug>/invitations", methods=["GET"])
@staff_required(*SURVEY_MANAGERS)
@blp.arguments(InvitationPageQuery, location="query")
@blp.response(200, InvitationPageOut)
def list_invitations(args: dict, slug: str):
    """Invitations, newest first (contacts masked)."""
    total, items = invitations.list_invitations(slug, args["limit"], args["offset"])
    return {"total": total, "items": items}


@blp.route("/surveys/<slug>/invitations/reminders", methods=["POST"])
@staff_required(*SURVEY_MANAGERS)
@blp.response(200, CountOut)
def remind(slug: str):
    """Queue the reminders that are due now for this survey."""
    return {"queued": invitations.queue_reminders(slug=slug)}


# --- fieldwork -----------------------------------------------------------------------------------------
@blp.route("/surveys/<slug>/monitor", methods=["GET"])
@staff_required(*SURVEY_VIEWERS)
@blp.arguments(MonitorQuery, location="query")
@blp.response(200, MonitorOut)
def get_monitor(args: dict, slug: str):
    """Responses by day, quota cell and channel; response and completion rates."""
    return monitor.survey_monitor(slug, args["days"]).as_dict()


@blp.route("/surveys/<slug>/responses/export", methods=["GET"])
@staff_required(*SURVEY_EXPORTERS)
@blp.arguments(ExportQuery, location="query")
@blp.response(200)
@blp.doc(responses=EXPORT_FILES)
def export(args: dict, slug: str):
    """All responses as CSV or XLSX; analysts get the de-identified file."""
    content, filename, mime = exporting.export_for(
        current_staff(), slug, args["format"], request.endpoint or ""
    )
    return Response(
        content, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@blp.route("/surveys/<slug>/imports", methods=["POST"])
@staff_required(*SURVEY_MANAGERS)
@blp.response(202, ImportOut)
@blp.doc(requestBody=MULTIPART)
@blp.errors(UPLOAD_ERRORS)
def start_import(slug: str):
    """Upload third-party data (multipart "file" .csv/.xlsx, "mapping" JSON {column: question code or
    respondent.district/age_group/sex, external_id, submitted_at, locale}, "dry_run", "skip_bad_rows");
    the scheduler processes it: poll GET .../imports/<id> for progress and the row-by-row report."""
    filename, content = _upload()
    try:
        mapping = json.loads(request.form.get("mapping") or "{}")
    except ValueError:
        raise InvalidInput("mapping", "not JSON") from None
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise InvalidInput("mapping", 'an object {"column": "target"}')
    return importing.create_import(
        slug,
        filename,
        content,
        mapping,
        dry_run=request.form.get("dry_run", "true").lower() in ("1", "true", "on", "yes"),
        skip_bad_rows=request.form.get("skip_bad_rows", "false").lower() in ("1", "true", "on", "yes"),
        staff=current_staff(),
    )


@blp.route("/surveys/<slug>/imports/<int:import_id>", methods=["GET"])
@staff_required(*SURVEY_MANAGERS)
@blp.response(200, ImportOut)
def get_import(slug: str, import_id: int):
    """Progress and row-by-row report of an import."""
    return importing.get_import(slug, import_id)
