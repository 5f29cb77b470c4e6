"""Survey vocabularies (DESIGN.md section 4): sectors, constructs, question types, respondent attributes."""

from __future__ import annotations

from enum import StrEnum

# Survey content is written per language; these are the two the site speaks.
LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"

# code -> Chinese name used by the statistics bureaus' indicator lists.
SECTORS = {
    "producer_services": "生产性服务业",
    "consumer_services": "生活性服务业",
    "public_services": "公共服务",
    "government": "政府工作",
    "hotline_callback": "热线回访",
}

# The ACSI/ECSI/CCSI model's latent variables a scored question can measure.
CONSTRUCTS = (
    "image",
    "expectation",
    "perceived_quality",
    "perceived_value",
    "satisfaction",
    "complaint",
    "loyalty",
)


class SurveyStatus(StrEnum):
    DRAFT = "draft"  # never published: no public page
    OPEN = "open"  # a published version collects responses
    CLOSED = "closed"  # published once, collects nothing now


class ResponseStatus(StrEnum):
    PARTIAL = "partial"  # one-click answer from an invitation, rest not sent yet
    COMPLETE = "complete"


class ResponseChannel(StrEnum):
    LINK = "link"  # the public survey page or API without a token
    INVITATION = "invitation"  # a single-use token from a contact list
    CALLBACK = "callback"  # the post-case call-back invitation
    IMPORT = "import"  # third-party fieldwork loaded from a file


# Respondent attributes kept for weighting; districts are GB/T 2260 codes from the regions catalogue.
ATTRIBUTES = ("district", "age_group", "sex")
AGE_GROUPS = ("18-29", "30-39", "40-49", "50-59", "60+")
SEXES = ("female", "male")
