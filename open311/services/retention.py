"""Open311's part of the retention period: what a partner sent about the citizen with a request
(complaints/services/retention.py calls erase_request_personal_data in its transaction)."""

from __future__ import annotations

from sqlalchemy import update

from core.db import db
from open311.models import Open311Request, Open311Update


def erase_request_personal_data(case_ids: list[int]) -> None:
    """Erase the device and account ids, photo links and answers to service questions of the cases'
    Open311 requests and updates (the update texts are audit reasons, erased with the case's)."""
    db.session.execute(
        update(Open311Request)
        .where(Open311Request.case_id.in_(case_ids))
        .values(device_id=None, account_id=None, media_url=None, attributes={})
    )
    db.session.execute(
        update(Open311Update).where(Open311Update.case_id.in_(case_ids)).values(media_url=None)
    )
