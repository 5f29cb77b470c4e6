"""Complaint models, importable from one place."""

from complaints.models.case import Case, IllegalTransition, SlaFlag
from complaints.models.catalogue import Category, Policy, RoutingRule
from complaints.models.records import CaseEvent, IdempotencyKey, Notification, Rectification
from complaints.models.rollups import KpiDaily, KpiDueDaily

__all__ = [
    "Case",
    "CaseEvent",
    "Category",
    "IdempotencyKey",
    "IllegalTransition",
    "KpiDaily",
    "KpiDueDaily",
    "Notification",
    "Policy",
    "Rectification",
    "RoutingRule",
    "SlaFlag",
]
