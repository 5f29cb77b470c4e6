"""Complaint models, importable from one place."""

from complaints.models.case import Case, IllegalTransition
from complaints.models.catalogue import Category, Policy, RoutingRule
from complaints.models.records import CaseEvent, IdempotencyKey, Notification, Rectification

__all__ = [
    "Case",
    "CaseEvent",
    "Category",
    "IdempotencyKey",
    "IllegalTransition",
    "Notification",
    "Policy",
    "Rectification",
    "RoutingRule",
]
