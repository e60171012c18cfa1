"""Put declarations and watch-list entries into a test store."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from store import DeclarationIn, Store
from store.models import Declaration
from store.records import DeclarationRecord
from store.watchlist import add_plate
from store.writes import add_declarations, to_record
from tests.matcher.factories import T0


def declaration_in(plate: str = "75A12345", **overrides: Any) -> DeclarationIn:
    values: dict[str, Any] = {
        "plate": plate,
        "valid_from": T0 - timedelta(hours=2),
        "valid_until": T0 + timedelta(hours=2),
        "filed_at": T0 - timedelta(days=1),
        "filed_via": "web",
        "checkpoints": None,
    }
    values.update(overrides)
    return DeclarationIn(**values)


def declare(store: Store, *items: DeclarationIn) -> list[DeclarationRecord]:
    with store.transaction() as session:
        ids = add_declarations(session, list(items))
    with store.session() as session:
        rows = session.scalars(select(Declaration).where(Declaration.id.in_(ids)))
        by_id = {row.id: to_record(row) for row in rows}
    return [by_id[i] for i in ids]


def watch(store: Store, plate: str, reason: str = "stolen") -> None:
    with store.transaction() as session:
        add_plate(session, plate, reason, actor="test")


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)
