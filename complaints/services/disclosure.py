"""What of the complainant a staff member is shown, and the access log entry a full disclosure writes.

Hidden: a confidential reporter, to roles without the permission (core.auth.roles.CONFIDENTIAL_ROLES).
Masked (张*, 138****8000, z***@example.com): roles that do not call citizens, and every list.
Full: roles that call citizens (CONTACT_ROLES); each full view is written to the personal-data access log.
"""

from __future__ import annotations

from dataclasses import dataclass

from complaints.models import Case
from complaints.validators import mask_email, mask_mobile, mask_name
from core.auth.models import User
from core.privacy.services import record_access

PARTY_FIELDS = ("name", "mobile", "email")


@dataclass(frozen=True)
class PartyView:
    """The complainant as one viewer sees them."""

    name: str | None
    mobile: str | None
    email: str | None
    hidden: bool = False
    masked: bool = False

    @property
    def full_fields(self) -> list[str]:
        """The fields shown in full (what the access log records)."""
        if self.hidden or self.masked:
            return []
        return [f"complainant.{name}" for name in PARTY_FIELDS if getattr(self, name)]

    def as_dict(self) -> dict[str, str | bool | None]:
        return {
            "name": self.name,
            "mobile": self.mobile,
            "email": self.email,
            "hidden": self.hidden,
            "masked": self.masked,
        }


def is_identity_hidden(viewer: User | None, case: Case) -> bool:
    """True when the case's reporter is confidential and the viewer may not see them."""
    return case.is_confidential and not (viewer is not None and viewer.may_see_confidential)


def masked_party(viewer: User | None, case: Case) -> PartyView:
    """The complainant masked (lists), or hidden for a confidential reporter."""
    if is_identity_hidden(viewer, case):
        return PartyView(None, None, None, hidden=True)
    return PartyView(
        mask_name(case.complainant_name),
        mask_mobile(case.complainant_mobile),
        mask_email(case.complainant_email),
        masked=True,
    )


def complainant_view(viewer: User | None, case: Case) -> PartyView:
    """The complainant as `viewer` may see them on the full record."""
    if is_identity_hidden(viewer, case) or viewer is None or not viewer.may_contact_citizens:
        return masked_party(viewer, case)
    return PartyView(case.complainant_name, case.complainant_mobile, case.complainant_email)


def record_case_disclosure(viewer: User, case: Case, purpose: str) -> PartyView:
    """The viewer's view of the complainant; a full one is written to the access log first."""
    view = complainant_view(viewer, case)
    if view.full_fields:
        record_access(viewer, "case", case.tracking_code, view.full_fields, purpose)
    return view
