"""Writes and reads shared by the matcher, the CSV import and (later) the API.

Every function takes a ``Session`` and never commits: the caller's ``Store.transaction()`` decides
what is atomic. Inserts keyed by ``event_id`` use the dialect's ``INSERT ... ON CONFLICT DO
NOTHING`` so a re-delivered event changes nothing, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Insert, Table, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from store.models import (
    ApiKey,
    CameraStatus,
    DecisionRow,
    Declaration,
    table_of,
    utcnow,
)
from store.records import ANY_CHECKPOINT, DeclarationRecord
from store.schemas import DeclarationIn


def insert_ignoring_conflicts(session: Session, table: Table, keys: Sequence[str]) -> Insert:
    """``INSERT ... ON CONFLICT (keys) DO NOTHING`` for the session's database."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=list(keys))
    if name == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=list(keys))
    raise NotImplementedError(f"no idempotent insert for {name}")


def remove_declaration(session: Session, declaration_id: int) -> bool:
    """Delete a declaration; decisions it covered keep their outcome and lose the reference
    (``decisions.declaration_id`` has no foreign key to do it: see revision 0003). Returns
    whether it existed."""
    row = session.get(Declaration, declaration_id)
    if row is None:
        return False
    session.execute(
        update(DecisionRow)
        .where(DecisionRow.declaration_id == declaration_id)
        .values(declaration_id=None)
    )
    session.delete(row)
    return True


def add_declarations(session: Session, items: Sequence[DeclarationIn]) -> list[int]:
    """Insert declarations; returns their ids in input order."""
    if not items:
        return []
    now = utcnow()
    rows = [
        {
            "plate_normalised": d.plate,
            "plate_display": d.plate_display,
            "vehicle_class": d.vehicle_class,
            "driver_name": d.driver_name,
            "driver_phone": d.driver_phone,
            "origin": d.origin,
            "destination": d.destination,
            "purpose": d.purpose,
            "checkpoints": ANY_CHECKPOINT if d.checkpoints is None else sorted(d.checkpoints),
            "valid_from": d.valid_from,
            "valid_until": d.valid_until,
            "filed_at": d.filed_at,
            "filed_via": d.filed_via,
            "created_at": now,
        }
        for d in items
    ]
    table = table_of(Declaration)
    stmt = table.insert().returning(table.c.id, sort_by_parameter_order=True)
    return list(session.execute(stmt, rows).scalars())


def to_record(row: Declaration | Mapping[Any, Any]) -> DeclarationRecord:
    """A stored declaration (ORM object or row mapping) as the rules see it."""
    get = (lambda k: row[k]) if isinstance(row, Mapping) else (lambda k: getattr(row, k))
    checkpoints = get("checkpoints")
    return DeclarationRecord(
        id=get("id"),
        plate_normalised=get("plate_normalised"),
        valid_from=get("valid_from"),
        valid_until=get("valid_until"),
        checkpoints=None if checkpoints == ANY_CHECKPOINT else frozenset(checkpoints),
        filed_at=get("filed_at"),
        plate_display=get("plate_display"),
        filed_via=get("filed_via"),
    )


CAMERA_STATUS_FIELDS = frozenset(
    {
        "checkpoint",
        "last_frame_at",
        "fps",
        "frames_dropped",
        "reconnects",
        "inference_ms",
        "status",
        "error",
    }
)


def upsert_camera_status(session: Session, *, camera_id: str, **fields: Any) -> None:
    """Insert or update one camera's health row; only the given fields change on update.

    Workers call it every few seconds, e.g. ``upsert_camera_status(s, camera_id="cam-1",
    checkpoint="CP-1", last_frame_at=now, fps=12.5, status="ok")``. ``updated_at`` is set here.
    """
    unknown = set(fields) - CAMERA_STATUS_FIELDS
    if unknown:
        raise ValueError(f"unknown camera status fields: {', '.join(sorted(unknown))}")
    values = {**fields, "updated_at": utcnow()}
    table = table_of(CameraStatus)
    name = session.get_bind().dialect.name
    insert: Any
    if name == "postgresql":
        insert = postgresql.insert(table)
    elif name == "sqlite":
        insert = sqlite.insert(table)
    else:
        raise NotImplementedError(f"no upsert for {name}")
    row = {"frames_dropped": 0, "reconnects": 0, "status": "ok", **values, "camera_id": camera_id}
    stmt = insert.values(**row).on_conflict_do_update(index_elements=["camera_id"], set_=values)
    session.execute(stmt)


def add_api_key(session: Session, *, name: str, role: str, prefix: str, key_hash: str) -> ApiKey:
    """Store a key's hash (never the key); the caller made the token (``api.auth``)."""
    key = ApiKey(name=name, role=role, prefix=prefix, key_hash=key_hash, created_at=utcnow())
    session.add(key)
    session.flush()
    return key


def revoke_api_key(session: Session, key_id: int) -> bool:
    """Revoke a key; False when there is no such key or it was already revoked."""
    key = session.get(ApiKey, key_id)
    if key is None or key.revoked_at is not None:
        return False
    key.revoked_at = utcnow()
    return True
