"""The project's flask-smorest Blueprint: JSON bodies that are really JSON, and the errors every route can
return written into the OpenAPI document (the Api has no catch-all `default` response, core/errors.py).

Errors documented here are the framework's: 400 (body is not valid JSON), 413 (body larger than
MAX_CONTENT_LENGTH), 415 (a body that is not application/json), 422 (field validation, added by
flask-smorest) for every JSON body, and 404 for every route with a path parameter (it names something
that may not exist). core.auth.guard adds 401/403 to staff routes; routes document their own 409s."""

from __future__ import annotations

import json
from collections.abc import Callable
from copy import deepcopy
from typing import Any

import flask
import flask_smorest
from marshmallow import Schema, fields
from webargs import core as webargs_core
from webargs.flaskparser import FlaskParser, abort
from werkzeug.routing import IntegerConverter

from core.errors import ErrorOut
from core.input_text import UNSTORABLE_REASON, unstorable_path

# Deeper JSON is refused before Python's decoder would hit its recursion limit (a 500).
MAX_JSON_DEPTH = 64


class RowIdConverter(IntegerConverter):
    """`<int:...>` bounded to a 64-bit row id: a larger number cannot name a row, and passing it on made
    SQLite raise OverflowError (a 500); now the URL simply matches no route (404)."""

    def __init__(
        self,
        map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = 2**63 - 1,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def json_depth_exceeds(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when brackets outside strings nest deeper than `limit` (a linear scan, no decoding)."""
    depth, in_string, escaped = 0, False, False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def _type_error(field: fields.Field, value: Any) -> str | None:
    """marshmallow reads "true", 1 or "5" as booleans and numbers; a JSON body must send the JSON type."""
    if value is None or "type" in field.metadata:  # a field that states its JSON type checks it itself
        return None
    if isinstance(field, fields.Boolean) and not isinstance(value, bool):
        return field.error_messages["invalid"]
    if isinstance(field, fields.Number) and (isinstance(value, bool) or not isinstance(value, int | float)):
        return field.error_messages["invalid"]
    return None


def json_type_errors(schema: Schema, data: Any, prefix: str = "") -> dict[str, list[str]]:
    """Fields of a decoded JSON body whose JSON type is not the documented one, by dotted path."""
    errors: dict[str, list[str]] = {}
    if not isinstance(data, dict):
        return errors  # marshmallow reports the wrong top-level type itself
    for name, field in schema.fields.items():
        key = field.data_key or name
        if field.dump_only or key not in data:
            continue
        errors.update(_field_type_errors(field, data[key], f"{prefix}{key}"))
    return errors


def _field_type_errors(field: fields.Field, value: Any, path: str) -> dict[str, list[str]]:
    if (message := _type_error(field, value)) is not None:
        return {path: [message]}
    errors: dict[str, list[str]] = {}
    if isinstance(field, fields.Nested) and isinstance(field.schema, Schema):
        if not field.many:
            return json_type_errors(field.schema, value, f"{path}.")
        for index, item in enumerate(value if isinstance(value, list) else []):
            errors.update(json_type_errors(field.schema, item, f"{path}.{index}."))
    elif isinstance(field, fields.List) and isinstance(value, list):
        for index, item in enumerate(value):
            errors.update(_field_type_errors(field.inner, item, f"{path}.{index}"))
    elif isinstance(field, fields.Dict) and field.value_field is not None and isinstance(value, dict):
        for key, item in value.items():
            errors.update(_field_type_errors(field.value_field, item, f"{path}.{key}"))
    return errors


class JsonBodyParser(FlaskParser):
    """webargs' Flask parser, stricter about the body: a body must be JSON (415 otherwise, where webargs
    would silently read it as "no body"), not nested absurdly deep (400), hold no text the database
    cannot store, and give each field its documented JSON type (422 naming the field)."""

    def load_json(self, req: flask.Request, schema: Schema) -> Any:
        data = super().load_json(req, schema)
        if data is not webargs_core.missing and (errors := json_type_errors(schema, data)):
            abort(422, messages={"json": errors})
        return data

    def _raw_load_json(self, req: flask.Request) -> Any:
        raw = req.get_data(cache=True)
        if not webargs_core.is_json(req.mimetype):
            # A form body is parsed (and its stream used up) by core.input_text before the view runs.
            if raw or req.content_length or req.form or req.files:
                abort(415, messages={"json": ["send the body as JSON with Content-Type: application/json"]})
            return webargs_core.missing
        if json_depth_exceeds(raw):
            abort(400, messages={"json": [f"JSON nested deeper than {MAX_JSON_DEPTH} levels"]})
        data = webargs_core.parse_json(raw)
        field = unstorable_path(data)
        if field is not None:
            abort(422, messages={"json": {field: [UNSTORABLE_REASON]}})
        return data

    def _handle_invalid_json_error(
        self, error: json.JSONDecodeError | UnicodeDecodeError, req: flask.Request, *args: Any, **kwargs: Any
    ):
        abort(400, exc=error, messages={"json": ["Invalid JSON body (or not UTF-8)."]})


def document_errors(func: Callable, errors: dict[int, str]) -> Callable:
    """Record error responses (with the one error body) in a view's OpenAPI docs, in place; what
    flask-smorest's alt_response records, without wrapping the view once per status."""
    doc = deepcopy(getattr(func, "_apidoc", {}))
    responses = doc.setdefault("response", {}).setdefault("responses", {})
    for status, description in errors.items():
        responses.setdefault(status, []).append(
            {"description": description, "schema": ErrorOut, "content_type": None}
        )
    func._apidoc = doc  # type: ignore[attr-defined]
    return func


PATH_NOT_FOUND = "Nothing is known under this name (or it is not visible to you)"
BODY_ERRORS = {
    400: "The body is not valid JSON (or nests too deeply)",
    413: "The body is larger than MAX_CONTENT_LENGTH",
    415: "The body is not application/json",
}


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest Blueprint with the JSON body parser and the framework's errors documented."""

    ARGUMENTS_PARSER = JsonBodyParser()

    def arguments(self, schema, *, location: str = "json", **kwargs: Any) -> Callable:
        if location == "json" and "required" not in kwargs:
            # A missing body reads as {}: it is only refused when the schema has a required field.
            instance = schema() if isinstance(schema, type) else schema
            kwargs["required"] = any(f.required for f in instance.fields.values())
        decorate = super().arguments(schema, location=location, **kwargs)
        if location != "json":
            return decorate
        return lambda func: document_errors(decorate(func), BODY_ERRORS)

    def route(self, rule: str, **kwargs: Any) -> Callable:
        register = super().route(rule, **kwargs)
        if "<" not in rule:
            return register
        return lambda func: register(document_errors(func, {404: PATH_NOT_FOUND}))

    @staticmethod
    def errors(errors: dict[int, str]) -> Callable:
        """Decorator documenting a route's own errors, e.g. {409: "the case's state forbids it"}."""
        return lambda func: document_errors(func, errors)
