"""The Case model: one citizen request and the transition methods that guard its state."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from complaints.states import AWAITING_FEEDBACK, TRANSITIONS, Kind, Status
from core.auth.models import Department
from core.db import db, utcnow
from core.errors import Conflict, InvalidInput

Money = Numeric(12, 2)


class SlaFlag(StrEnum):
    """How the current deadline stands; NULL = on track. Each step happens once per deadline."""

    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    URGED = "urged"  # 督办 event written the day after the deadline
    ESCALATED = "escalated"  # still open some working days later: the supervisor is told


class IllegalTransition(Conflict):
    """The action is not allowed from the case's current state (409)."""


class Case(db.Model):
    """A complaint, report, inquiry, help request, suggestion or praise, addressed by tracking code."""

    __tablename__ = "cases"
    __table_args__ = (
        # Keyset pages of GET /cases: by deadline (the work queue) or by receipt, globally, per
        # department and per status, each ending in id so (sort key, id) is unique.
        Index("ix_cases_due", "next_due_at", "id"),
        Index("ix_cases_department_due", "department_id", "next_due_at", "id"),
        Index("ix_cases_status_due", "status", "next_due_at", "id"),
        Index("ix_cases_received", "received_at", "id"),
        Index("ix_cases_department_received", "department_id", "received_at", "id"),
        Index("ix_cases_status_received", "status", "received_at", "id"),
        Index("ix_cases_complainant_mobile", "complainant_mobile"),
        # The SLA scan walks (flag, deadline) ranges, so marking 1M open cases touches only what changes.
        Index("ix_cases_sla", "sla_flag", "next_due_at"),
        # Call-back invitations look at a recent window of replies.
        Index("ix_cases_replied", "replied_at"),
        Index("ix_cases_respondent_credit_code", "respondent_credit_code"),
        # Text search (q) on PostgreSQL: trigram GIN indexes work for Chinese under a UTF-8 ctype.
        Index(
            "ix_cases_title_trgm", "title", postgresql_using="gin", postgresql_ops={"title": "gin_trgm_ops"}
        ),
        Index(
            "ix_cases_respondent_trgm",
            "respondent_name",
            postgresql_using="gin",
            postgresql_ops={"respondent_name": "gin_trgm_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(24), unique=True)
    access_key_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    hotline: Mapped[str] = mapped_column(String(5))
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code"), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    amount_involved: Mapped[Decimal | None] = mapped_column(Money)

    respondent_name: Mapped[str | None] = mapped_column(String(128))
    respondent_credit_code: Mapped[str | None] = mapped_column(String(18))
    respondent_credit_code_override: Mapped[bool] = mapped_column(Boolean, default=False)
    respondent_address: Mapped[str | None] = mapped_column(String(200))
    complainant_name: Mapped[str | None] = mapped_column(String(64))
    complainant_mobile: Mapped[str | None] = mapped_column(String(11))
    complainant_email: Mapped[str | None] = mapped_column(String(254))
    is_confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    # A phone-registered complaint without name/mobile/respondent may only be rejected (reason 5).
    is_incomplete: Mapped[bool] = mapped_column(Boolean, default=False)

    status: Mapped[str] = mapped_column(String(16), default=Status.REGISTERED.value)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    policy_version: Mapped[int] = mapped_column(ForeignKey("policies.version"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    received_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    assigned_at: Mapped[datetime | None]
    signed_at: Mapped[datetime | None]
    # First contact with the citizen after assignment (响应): the contact action, or else the reply.
    contacted_at: Mapped[datetime | None]
    replied_at: Mapped[datetime | None]
    feedback_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    acceptance_due_at: Mapped[datetime]
    sign_due_at: Mapped[datetime | None]
    contact_due_at: Mapped[datetime | None]
    # Working days from acceptance to the latest reply, fixed at reply time so KPI rollups can sum it in SQL.
    handling_workdays: Mapped[int | None]
    return_until: Mapped[datetime | None]
    handling_due_at: Mapped[datetime | None]
    feedback_due_at: Mapped[datetime | None]
    next_due_at: Mapped[datetime | None]

    pending_extension_days: Mapped[int | None]
    pending_extension_reason: Mapped[str | None] = mapped_column(Text)
    extended_days: Mapped[int] = mapped_column(default=0)
    urge_count: Mapped[int] = mapped_column(default=0)
    return_count: Mapped[int] = mapped_column(default=0)
    reopen_count: Mapped[int] = mapped_column(default=0)

    rejection_code: Mapped[int | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    transferred_to: Mapped[str | None] = mapped_column(String(128))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    outcome: Mapped[str | None] = mapped_column(String(24))
    reply: Mapped[str | None] = mapped_column(Text)
    loss_recovered: Mapped[Decimal | None] = mapped_column(Money)
    feedback_channel: Mapped[str | None] = mapped_column(String(16))
    feedback_note: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None]
    rated_resolved: Mapped[bool | None]
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None]

    event_count: Mapped[int] = mapped_column(default=0)
    last_event_hash: Mapped[str] = mapped_column(String(64), default="0" * 64)

    # Marks of the scheduler's SLA scan for the current deadline (next_due_at): see SlaFlag.
    sla_flag: Mapped[str | None] = mapped_column(String(10))
    escalated_at: Mapped[datetime | None]
    callback_invited_at: Mapped[datetime | None]
    # Set when the retention job erased the citizen's personal data (complaints/services/retention.py).
    personal_data_erased_at: Mapped[datetime | None]

    department: Mapped[Department | None] = relationship(lazy="joined")
    duplicate_of: Mapped[Case | None] = relationship(remote_side=[id], lazy="select")

    # --- guards -------------------------------------------------------------------------------
    def _require(self, action: str) -> None:
        """Refuse the action unless the case is in one of its source states."""
        if self.status not in TRANSITIONS[action].sources:
            raise IllegalTransition(f"cannot {action} a case that is {self.status}")

    def _enter(self, action: str) -> None:
        target = TRANSITIONS[action].target
        if target is not None:
            self.status = target.value
        self.refresh_next_due()

    def refresh_next_due(self) -> None:
        """Keep next_due_at (the queue's sort key) equal to the deadline of the current stage."""
        previous = self.next_due_at
        status = Status(self.status)
        if status is Status.REGISTERED:
            self.next_due_at = self.acceptance_due_at
        elif status is Status.ASSIGNED:
            self.next_due_at = self.sign_due_at
        elif status in (Status.ACCEPTED, Status.IN_PROGRESS):
            self.next_due_at = self.handling_due_at
        elif status in AWAITING_FEEDBACK and self.feedback_at is None:
            self.next_due_at = self.feedback_due_at
        else:
            self.next_due_at = None
        if self.next_due_at != previous:
            # A new deadline starts unmarked: the next SLA scan judges (and may urge) it afresh.
            self.sla_flag = None

    # --- transitions (the service stamps audit events and notifications) -----------------------
    def accept(self, at: datetime, handling_due: datetime) -> None:
        """Accept (受理); an incomplete complaint can only be rejected with reason code 5."""
        self._require("accept")
        if self.is_incomplete:
            raise IllegalTransition(
                "complaint lacks complainant name, mobile or respondent: reject with code 5"
            )
        self.decided_at = self.accepted_at = at
        self.handling_due_at = handling_due
        self._enter("accept")

    def reject(self, at: datetime, code: int, reason: str, feedback_due: datetime) -> None:
        """Do not accept (不予受理) with a reason code 1..6."""
        self._require("reject")
        if self.is_incomplete and code != 5:
            raise IllegalTransition("an incomplete complaint may only be rejected with reason code 5")
        self.decided_at = at
        self.rejection_code, self.decision_reason = code, reason
        self.feedback_due_at = feedback_due
        self._enter("reject")

    def transfer(self, at: datetime, to: str, reason: str, feedback_due: datetime) -> None:
        """Hand over to another authority (转办/告知)."""
        self._require("transfer")
        self.decided_at = at
        self.transferred_to, self.decision_reason = to, reason
        self.feedback_due_at = feedback_due
        self._enter("transfer")

    def merge_into(self, at: datetime, target: Case) -> None:
        """Mark as a duplicate of `target` (重复件合并)."""
        self._require("merge")
        if target.id == self.id:
            raise IllegalTransition("a case cannot be merged into itself")
        if target.status in (Status.MERGED, Status.CLOSED):
            raise IllegalTransition(f"cannot merge into a case that is {target.status}")
        self.decided_at = at
        self.duplicate_of_id = target.id
        self._enter("merge")

    def assign(
        self,
        at: datetime,
        department: Department,
        sign_due: datetime,
        return_until: datetime,
        contact_due: datetime,
    ) -> None:
        """Dispatch to a department (派单)."""
        self._require("assign")
        self.department = department
        self.assigned_at = at
        self.sign_due_at, self.return_until, self.contact_due_at = sign_due, return_until, contact_due
        self._enter("assign")

    def sign(self, at: datetime) -> None:
        """The department signs for the case (签收)."""
        self._require("sign")
        self.signed_at = at
        self._enter("sign")

    def return_to_dispatch(self, at: datetime) -> None:
        """Send back to dispatch (退单), only within the return window."""
        self._require("return")
        if self.return_until is not None and at > self.return_until:
            raise IllegalTransition("the return window has passed; sign the case or ask a supervisor")
        self.department = None
        self.assigned_at = self.sign_due_at = self.return_until = self.contact_due_at = None
        self.return_count += 1
        self._enter("return")

    def request_extension(self, at: datetime, days: int, reason: str, max_days: int) -> None:
        """Ask for more time (延期申请) before the handling deadline."""
        self._require("extend")
        if self.pending_extension_days is not None:
            raise IllegalTransition("an extension request is already pending")
        if self.handling_due_at is not None and at > self.handling_due_at:
            raise IllegalTransition("extensions must be requested before the handling deadline")
        if days > max_days:
            raise InvalidInput("days", f"at most {max_days} working days")
        self.pending_extension_days, self.pending_extension_reason = days, reason
        self._enter("extend")

    def approve_extension(self, new_due: datetime) -> int:
        """Approve the pending extension; returns the days granted."""
        self._require("approve_extension")
        if self.pending_extension_days is None:
            raise IllegalTransition("no extension request is pending")
        days = self.pending_extension_days
        self.handling_due_at = new_due
        self.extended_days += days
        self.pending_extension_days = self.pending_extension_reason = None
        self._enter("approve_extension")
        return days

    def mark_urged(self) -> None:
        """The system's 督办 of the missed current deadline; once per deadline (the flag moves on)."""
        if self.sla_flag != SlaFlag.OVERDUE:
            raise IllegalTransition(f"only an overdue case can be urged by the system, not {self.sla_flag}")
        self.sla_flag = SlaFlag.URGED.value
        self.urge_count += 1

    def mark_escalated(self, at: datetime) -> None:
        """Hand a case still overdue after its urge to the supervisor (once per deadline)."""
        if self.sla_flag != SlaFlag.URGED:
            raise IllegalTransition(f"only an urged case can be escalated, not {self.sla_flag}")
        self.sla_flag = SlaFlag.ESCALATED.value
        self.escalated_at = at

    def urge(self) -> None:
        """Supervisor urging (督办); the state and deadline stay."""
        self._require("urge")
        self.urge_count += 1
        self._enter("urge")

    def record_contact(self, at: datetime) -> None:
        """The department contacted the citizen (响应); only the first contact counts for the KPI."""
        self._require("contact")
        if self.contacted_at is None:
            self.contacted_at = at
        self._enter("contact")

    def record_reply(
        self,
        at: datetime,
        outcome: str,
        reply: str,
        loss: Decimal | None,
        feedback_due: datetime,
        workdays: int,
    ) -> None:
        """The department's reply with its outcome (办结); `workdays` since acceptance."""
        self._require("reply")
        self.replied_at, self.handling_workdays = at, workdays
        if self.contacted_at is None:
            self.contacted_at = at  # a reply reaches the citizen: it is a contact too
        self.outcome, self.reply, self.loss_recovered = outcome, reply, loss
        self.feedback_due_at = feedback_due
        self.feedback_at = None
        # A pending extension request dies with the reply: there is nothing left to extend.
        self.pending_extension_days = self.pending_extension_reason = None
        self._enter("reply")

    def record_feedback(self, at: datetime, channel: str, note: str | None) -> None:
        """The citizen has been told the result (反馈)."""
        self._require("feedback")
        self.feedback_at = at
        self.feedback_channel, self.feedback_note = channel, note
        self._enter("feedback")

    def close(self, at: datetime) -> None:
        """Close (结案); impossible before feedback to the citizen is recorded."""
        self._require("close")
        if self.feedback_at is None:
            raise IllegalTransition("record feedback to the citizen before closing")
        self.closed_at = at
        self._enter("close")

    def reopen(self, handling_due: datetime) -> None:
        """Handle again (重办) after a dissatisfied rating or a supervisor's decision."""
        self._require("reopen")
        if self.replied_at is None:
            # A closed case that was rejected or transferred has no handling to redo (and no department).
            raise IllegalTransition("only a case that was replied to can be handled again")
        self.reopen_count += 1
        self.handling_due_at = handling_due
        self.replied_at = self.feedback_at = self.feedback_due_at = self.closed_at = None
        self.handling_workdays = None
        self._enter("reopen")

    def rate(self, at: datetime, rating: int, resolved: bool, comment: str | None) -> None:
        """Record the citizen's satisfaction rating (1 非常不满意 … 5 非常满意)."""
        self._require("rate")
        if self.replied_at is None:
            raise IllegalTransition("there is no reply to rate")
        self.rating, self.rated_resolved, self.rating_comment, self.rated_at = rating, resolved, comment, at
        self._enter("rate")

    @property
    def is_complaint(self) -> bool:
        return self.kind == Kind.COMPLAINT
