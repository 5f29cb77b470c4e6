"""Partner api_keys: issued by admins, shown once, stored as SHA-256, revocable."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import request
from flask_limiter.util import get_remote_address
from sqlalchemy import select

from core.auth.models import User
from core.db import db, utcnow
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from open311.models import ApiKey

KEY_PREFIX = "o311_"


def hash_api_key(key: str) -> str:
    """SHA-256 of an api_key: keys are 256-bit random, so a fast hash is enough (like bearer tokens)."""
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(client: str, note: str = "", creator: User | None = None) -> tuple[ApiKey, str]:
    """Issue a key for a partner system; returns the row and the key, which is never shown again."""
    client = client.strip()
    if not 1 <= len(client) <= 100:
        raise InvalidInput("client", "must be 1 to 100 characters")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        client=client,
        key_prefix=key[: len(KEY_PREFIX) + 6],
        key_hash=hash_api_key(key),
        note=note,
        created_by_id=creator.id if creator else None,
    )
    db.session.add(row)
    db.session.commit()
    return row, key


def list_api_keys() -> list[ApiKey]:
    """Every key, newest first (hashes only; the keys themselves are not kept)."""
    return list(db.session.scalars(select(ApiKey).order_by(ApiKey.id.desc())))


def revoke_api_key(key_id: int) -> ApiKey:
    """Stop a key from working; its past requests keep pointing at it."""
    row = db.session.get(ApiKey, key_id)
    if row is None:
        raise NotFound(f"no api_key with id {key_id}")
    if row.revoked_at is not None:
        raise Conflict("this api_key is already revoked")
    row.revoked_at = utcnow()
    db.session.commit()
    return row


def find_active_key(key: str | None) -> ApiKey | None:
    """The active key row for a presented key, or None."""
    if not key:
        return None
    row = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_api_key(key)))
    # The lookup is by hash; compare again in constant time so a timing probe learns nothing.
    if row is None or not hmac.compare_digest(row.key_hash, hash_api_key(key)) or not row.is_active:
        return None
    return row


def require_api_key(key: str | None) -> ApiKey:
    """The active key or a 403, as GeoReport v2 requires for a missing or invalid api_key."""
    if not key:
        raise Forbidden("api_key was not provided")
    row = find_active_key(key)
    if row is None:
        raise Forbidden("invalid api_key")
    row.last_used_at = utcnow()  # committed with the request it authorises
    return row


def presented_key() -> str | None:
    """The api_key of this request (form body or query string)."""
    return request.values.get("api_key") or None


def rate_limit_key() -> str:
    """Flask-Limiter key for Open311 POSTs: the partner's key when valid, else the client address, so a
    kiosk network behind one address is limited as one partner and key guessing by its address."""
    row = find_active_key(presented_key())
    return f"open311-key:{row.id}" if row is not None else f"open311-addr:{get_remote_address()}"
