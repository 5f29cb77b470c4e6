"""Roles and the permissions that are not plain role checks."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A staff member's single role."""

    OPERATOR = "operator"
    DISPATCHER = "dispatcher"
    HANDLER = "handler"
    SUPERVISOR = "supervisor"
    ANALYST = "analyst"
    ADMIN = "admin"


# Roles that work on individual cases (analysts only ever see aggregates).
CASE_ROLES = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.HANDLER, Role.SUPERVISOR, Role.ADMIN})
# Roles that may see a confidential reporter's identity.
CONFIDENTIAL_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})
# Roles that call citizens (operators: call-backs and feedback when a notice was not delivered; handlers:
# contact during handling; supervisors and admins: oversight), so see full contact details. Dispatchers
# route cases and see them masked; analysts see no case.
CONTACT_ROLES = frozenset({Role.OPERATOR, Role.HANDLER, Role.SUPERVISOR, Role.ADMIN})
# Roles bound to one department; they see and act on that department's cases only.
DEPARTMENT_BOUND_ROLES = frozenset({Role.HANDLER})
