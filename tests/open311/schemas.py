"""JSON schemas of the GeoReport v2 documents, written from the specification
(wiki.open311.org/GeoReport_v2, /Service_Discovery) and mySociety's servicerequestupdates extension.

The spec's JSON is the Spark-convention mapping of its XML, so the same schemas describe what the XML
carries (tests/open311/spark.py checks that the two formats say the same thing).
"""

W3C_DATETIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
DATETIME = {"type": "string", "pattern": W3C_DATETIME}
NULLABLE_DATETIME = {"anyOf": [DATETIME, {"type": "null"}]}
NULLABLE_STRING = {"type": ["string", "null"]}

DISCOVERY = {
    "type": "object",
    "required": ["changeset", "contact", "key_service", "endpoints"],
    "additionalProperties": False,
    "properties": {
        "changeset": {"type": "string", "minLength": 1},
        "contact": {"type": "string", "minLength": 1},
        "key_service": {"type": "string", "minLength": 1},
        "endpoints": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["specification", "url", "changeset", "type", "formats"],
                "additionalProperties": False,
                "properties": {
                    "specification": {"const": "http://wiki.open311.org/GeoReport_v2"},
                    "url": {"type": "string", "pattern": "^https?://"},
                    "changeset": {"type": "string", "minLength": 1},
                    "type": {"enum": ["production", "test"]},
                    "formats": {
                        "type": "array",
                        "items": {"enum": ["text/xml", "application/json"]},
                        "contains": {"const": "text/xml"},  # XML is the required format
                    },
                },
            },
        },
    },
}

SERVICES = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"],
        "additionalProperties": False,
        "properties": {
            "service_code": {"type": "string", "minLength": 1},
            "service_name": {"type": "string", "minLength": 1},
            "description": NULLABLE_STRING,
            "metadata": {"type": "boolean"},
            "type": {"enum": ["realtime", "batch", "blackbox"]},
            "keywords": NULLABLE_STRING,
            "group": NULLABLE_STRING,
        },
    },
}

SERVICE_DEFINITION = {
    "type": "object",
    "required": ["service_code", "attributes"],
    "additionalProperties": False,
    "properties": {
        "service_code": {"type": "string", "minLength": 1},
        "attributes": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "variable",
                    "code",
                    "datatype",
                    "required",
                    "datatype_description",
                    "order",
                    "description",
                ],  # fmt: skip
                "additionalProperties": False,
                "properties": {
                    "variable": {"type": "boolean"},
                    "code": {"type": "string", "minLength": 1},
                    "datatype": {
                        "enum": ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
                    },
                    "required": {"type": "boolean"},
                    "datatype_description": NULLABLE_STRING,
                    "order": {"type": "integer", "minimum": 1},
                    "description": {"type": "string"},
                    "values": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["key", "name"],
                            "additionalProperties": False,
                            "properties": {"key": {"type": "string"}, "name": {"type": "string"}},
                        },
                    },
                },
            },
        },
    },
}

POST_RESPONSE = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "service_request_id": {"type": "string", "minLength": 1},
            "token": {"type": "string", "minLength": 1},
            "service_notice": NULLABLE_STRING,
            "account_id": NULLABLE_STRING,
        },
        # "should not be returned if token is returned" and the other way round
        "oneOf": [{"required": ["service_request_id"]}, {"required": ["token"]}],
    },
}

REQUEST = {
    "type": "object",
    "required": ["service_request_id", "status", "service_name", "service_code", "requested_datetime",
                 "updated_datetime"],
    "additionalProperties": False,
    "properties": {
        "service_request_id": {"type": "string", "minLength": 1},
        "status": {"enum": ["open", "closed"]},
        "status_notes": NULLABLE_STRING,
        "service_name": {"type": "string"},
        "service_code": {"type": "string"},
        "description": {"type": ["string", "null"], "maxLength": 4000},
        "agency_responsible": NULLABLE_STRING,
        "service_notice": NULLABLE_STRING,
        "requested_datetime": DATETIME,
        "updated_datetime": DATETIME,
        "expected_datetime": NULLABLE_DATETIME,
        "address": NULLABLE_STRING,
        "address_id": NULLABLE_STRING,
        "zipcode": NULLABLE_STRING,
        "lat": {"type": ["number", "null"], "minimum": -90, "maximum": 90},
        "long": {"type": ["number", "null"], "minimum": -180, "maximum": 180},
        "media_url": NULLABLE_STRING,
    },
}  # fmt: skip

REQUESTS = {"type": "array", "items": REQUEST}

TOKEN = {
    "type": "array",
    "minItems": 1,
    "maxItems": 1,
    "items": {
        "type": "object",
        "required": ["service_request_id", "token"],
        "additionalProperties": False,
        "properties": {"service_request_id": {"type": "string"}, "token": {"type": "string"}},
    },
}

ERRORS = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "additionalProperties": False,
        "properties": {"code": {"type": "integer"}, "description": {"type": "string", "minLength": 1}},
    },
}

EXTENDED_STATUSES = [
    "open", "investigating", "action_scheduled", "in_progress", "fixed", "no_further_action",
    "not_councils_responsibility", "duplicate", "internal_referral", "closed",
]  # fmt: skip

UPDATES = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["update_id", "service_request_id", "status", "updated_datetime", "description"],
        "additionalProperties": False,
        "properties": {
            "update_id": {"type": "string", "minLength": 1},
            "service_request_id": {"type": "string", "minLength": 1},
            "status": {"enum": EXTENDED_STATUSES},
            "updated_datetime": DATETIME,
            "description": {"type": "string"},
            "media_url": NULLABLE_STRING,
            "external_status_code": NULLABLE_STRING,
        },
    },
}

UPDATE_POST_RESPONSE = {
    "type": "array",
    "minItems": 1,
    "maxItems": 1,
    "items": {
        "type": "object",
        "required": ["update_id"],
        "additionalProperties": False,
        "properties": {"update_id": {"type": "string", "minLength": 1}},
    },
}
