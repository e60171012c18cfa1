"""The matcher's hot-path writes (entries and decisions), sent through the database driver.

The matcher stores thousands of entries and decisions per batch. Through SQLAlchemy, the Python
work per row (compiling parameters, running each column's type processor) costs more than the
database spends storing the row, so these two writes bypass it, inside the session's own
transaction:

- PostgreSQL: one statement with one array per column (``unnest``), sent in binary by psycopg. A
  short query parsed once, no per-row round trip, no text escaping of the JSON documents
  (SQLAlchemy's multi-row VALUES costs psycopg a parse of thousands of placeholders per page, and
  text arrays an escape pass over every document: both measured 2-3x slower).
- SQLite: pages of multi-row ``VALUES`` (``RETURNING`` needs one statement, not executemany), with
  times as the UTC text ``UTCDateTime`` stores.

The rows are the ones the ORM would write: tests read them back through the models on both
backends.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from pipeline.events import EntryEvent
from pipeline.store.models import DecisionRow, table_of, utcnow
from pipeline.store.types import sqlite_utc_text

_ENTRY_COLUMNS = (
    "event_id", "camera_id", "checkpoint", "direction", "crossed_at", "plate_normalised",
    "plate_display", "confidence", "readable", "format_valid", "event", "received_at",
)  # fmt: skip
DECISION_COLUMNS = (
    "event_id", "outcome", "flagged", "priority", "declaration_id", "reason", "decided_at",
)  # fmt: skip

# Rows per SQLite statement: 12 columns x 1000 rows stays far below SQLite's 32766 variables.
SQLITE_PAGE = 1000


def record_entries(session: Session, events: Sequence[EntryEvent]) -> set[str]:
    """Store entries (inbound and outbound); returns the event ids that were new.

    Idempotent by ``event_id`` (``ON CONFLICT DO NOTHING``), duplicates within ``events``
    included. The event column is serialised by pydantic's compiled serializer
    (``model_dump_json``) and stored as is.
    """
    if not events:
        return set()
    # Both paths bind times directly, past UTCDateTime's own check.
    naive = [e.event_id for e in events if e.crossed_at.tzinfo is None]
    if naive:
        raise ValueError(f"naive datetime in crossed_at of {naive[:3]}: times need a time zone")
    now = utcnow()
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return _record_entries_pg(session, events, now)
    if dialect == "sqlite":
        return _record_entries_sqlite(session, events, now)
    raise NotImplementedError(f"no bulk entry insert for {dialect}")


def record_decisions(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert decision rows (keys: ``DECISION_COLUMNS``; ``decided_at`` timezone-aware) for
    entries this transaction has just inserted."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        with _driver(session).cursor() as cursor:
            cursor.execute(_INSERT_DECISIONS_PG, [[r[c] for r in rows] for c in DECISION_COLUMNS])
    elif dialect == "sqlite":
        values = [
            (r["event_id"], r["outcome"], r["flagged"], r["priority"], r["declaration_id"],
             r["reason"], sqlite_utc_text(r["decided_at"]))
            for r in rows
        ]  # fmt: skip
        cursor = _driver(session).cursor()
        try:
            cursor.executemany(_INSERT_DECISIONS_SQLITE, values)
        finally:
            cursor.close()
    else:
        session.execute(table_of(DecisionRow).insert(), list(rows))


# --- SQLite -------------------------------------------------------------------------------------

_INSERT_DECISIONS_SQLITE = (
    f"INSERT INTO decisions ({', '.join(DECISION_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(DECISION_COLUMNS))})"
)


@lru_cache(maxsize=8)
def _insert_entries_sqlite(rows: int) -> str:
    one = "(" + ", ".join("?" * len(_ENTRY_COLUMNS)) + ")"
    return (
        f"INSERT INTO entries ({', '.join(_ENTRY_COLUMNS)}) VALUES {', '.join([one] * rows)} "
        "ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
    )


def _record_entries_sqlite(
    session: Session, events: Sequence[EntryEvent], now: datetime
) -> set[str]:
    received = sqlite_utc_text(now)
    cursor = _driver(session).cursor()
    new: set[str] = set()
    try:
        for start in range(0, len(events), SQLITE_PAGE):
            page = events[start : start + SQLITE_PAGE]
            params: list[Any] = []
            for e in page:
                plate = e.plate
                params += (
                    e.event_id, e.camera_id, e.checkpoint, e.direction,
                    sqlite_utc_text(e.crossed_at), plate.normalised, plate.display,
                    plate.confidence, plate.readable, plate.format_valid, e.model_dump_json(),
                    received,
                )  # fmt: skip
            cursor.execute(_insert_entries_sqlite(len(page)), params)
            new.update(row[0] for row in cursor.fetchall())
    finally:
        cursor.close()
    return new


# --- PostgreSQL ---------------------------------------------------------------------------------

_INSERT_ENTRIES_PG = """
    INSERT INTO entries (event_id, camera_id, checkpoint, direction, crossed_at,
                         plate_normalised, plate_display, confidence, readable, format_valid,
                         event, received_at)
    SELECT i, c, cp, d, t, pn, pd, conf, r, f, ev, %b
    FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[], %b::timestamptz[],
                %b::text[], %b::text[], %b::float8[], %b::boolean[], %b::boolean[], %b::jsonb[])
         AS u(i, c, cp, d, t, pn, pd, conf, r, f, ev)
    ON CONFLICT (event_id) DO NOTHING
    RETURNING event_id
"""

_INSERT_DECISIONS_PG = """
    INSERT INTO decisions (event_id, outcome, flagged, priority, declaration_id, reason,
                           decided_at)
    SELECT * FROM unnest(%b::text[], %b::text[], %b::boolean[], %b::int[], %b::int[],
                         %b::text[], %b::timestamptz[])
"""


def _record_entries_pg(session: Session, events: Sequence[EntryEvent], now: datetime) -> set[str]:
    from psycopg.types.json import Jsonb

    # JSON already serialised by pydantic: handed to the driver as is.
    def as_jsonb(e: EntryEvent) -> Jsonb:
        return Jsonb(e.model_dump_json(), dumps=_identity)

    params = [
        now,
        [e.event_id for e in events],
        [e.camera_id for e in events],
        [e.checkpoint for e in events],
        [e.direction for e in events],
        [e.crossed_at for e in events],  # aware: timestamptz keeps the instant
        [e.plate.normalised for e in events],
        [e.plate.display for e in events],
        [e.plate.confidence for e in events],
        [e.plate.readable for e in events],
        [e.plate.format_valid for e in events],
        [as_jsonb(e) for e in events],
    ]
    with _driver(session).cursor() as cursor:
        cursor.execute(_INSERT_ENTRIES_PG, params)
        return {row[0] for row in cursor.fetchall()}


def _identity(text: str) -> str:
    return text


def _driver(session: Session) -> Any:
    """The DBAPI connection under the session's own connection, inside its transaction."""
    driver = session.connection().connection.driver_connection
    assert driver is not None
    return driver
