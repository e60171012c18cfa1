"""API keys: random tokens shown once, stored as SHA-256 hashes, found by a short prefix.

A key looks like ``ew_<43 url-safe characters>`` (32 random bytes). The first 8 characters after
``ew_`` are stored in clear as the lookup prefix; the whole token only as its hash. Keys are
compared in constant time and are never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import ApiKey
from store.writes import add_api_key

TOKEN_PREFIX = "ew_"
LOOKUP_LEN = 8


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    INTEGRATOR = "integrator"


# What each role may do, by the least role an action needs.
_RANK = {Role.INTEGRATOR: 0, Role.OPERATOR: 1, Role.ADMIN: 2}


def allows(role: Role, needed: Role) -> bool:
    return _RANK[role] >= _RANK[needed]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the key's id, name (the audit's "who") and role."""

    key_id: int
    name: str
    role: Role


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _lookup_prefix(token: str) -> str | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) < len(TOKEN_PREFIX) + LOOKUP_LEN + 8:
        return None
    return token[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + LOOKUP_LEN]


def create_key(session: Session, name: str, role: Role) -> tuple[ApiKey, str]:
    """Store a new key and return it with its token (the only time the token exists)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    prefix = _lookup_prefix(token)
    assert prefix is not None
    digest = hash_token(token)
    row = add_api_key(session, name=name, role=role.value, prefix=prefix, key_hash=digest)
    return row, token


def authenticate(session: Session, token: str) -> Principal | None:
    """The principal for a token, or None (unknown, malformed or revoked)."""
    prefix = _lookup_prefix(token)
    if prefix is None:
        return None
    digest = hash_token(token)
    rows = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix))
    for row in rows:
        if hmac.compare_digest(row.key_hash, digest):
            if row.revoked_at is not None:
                return None
            return Principal(row.id, row.name, Role(row.role))
    return None
