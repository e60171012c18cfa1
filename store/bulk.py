"""The matcher's hot path in the store (entries, decisions, flags and their audit rows, and the
read of decisions already stored), sent through the database driver.

The matcher stores thousands of entries and decisions per batch, and at a trickle handles dozens
of batches a second. Through SQLAlchemy, the Python work (compiling statements and parameters,
running each column's type processor, building ORM objects) cost more than the database spent on
the rows: at 500 entries/s it was most of the matcher's CPU. So these statements go to the driver,
inside the session's own transaction:

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

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from pipeline.events import EntryEvent
from store.models import utcnow
from store.plates import confusion_key
from store.types import from_sqlite_utc_text, sqlite_utc_text

_ENTRY_COLUMNS = (
    "event_id", "camera_id", "checkpoint", "direction", "crossed_at", "plate_normalised",
    "confusion_key", "plate_display", "confidence", "readable", "format_valid", "event",
    "received_at",
)  # fmt: skip
_FLAG_COLUMNS = ("event_id", "reason", "status", "priority", "created_at", "updated_at")
_AUDIT_COLUMNS = ("flag_id", "action", "actor", "at", "note")
DECISION_COLUMNS = (
    "event_id", "outcome", "flagged", "priority", "declaration_id", "reason", "decided_at",
)  # fmt: skip

# Rows per SQLite statement: 13 columns x 1000 rows stays far below SQLite's 32766 variables.
SQLITE_PAGE = 1000


def record_entries(
    session: Session,
    events: Sequence[EntryEvent],
    documents: Mapping[str, str] | None = None,
) -> set[str]:
    """Store entries (inbound and outbound); returns the event ids that were new.

    Idempotent by ``event_id`` (``ON CONFLICT DO NOTHING``), duplicates within ``events``
    included. The event column holds ``documents[event_id]`` when given: the JSON the event was
    validated from, kept as received (the matcher has it from the bus; serialising the model
    again cost ~5 µs an entry). Otherwise pydantic's compiled serializer writes it.
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
        return _record_entries_pg(session, events, _documents(events, documents), now)
    if dialect == "sqlite":
        return _record_entries_sqlite(session, events, _documents(events, documents), now)
    raise NotImplementedError(f"no bulk entry insert for {dialect}")


def _search_key(event: EntryEvent) -> str | None:
    """The entry's ``confusion_key`` column (revision 0006): these inserts bypass the model's
    default that computes it, so they compute it here."""
    plate = event.plate.normalised
    return None if plate is None else confusion_key(plate)


def _documents(events: Sequence[EntryEvent], given: Mapping[str, str] | None) -> list[str]:
    given = given or {}
    return [given.get(e.event_id) or e.model_dump_json() for e in events]


# One decision row: (event_id, outcome, flagged, priority, declaration_id, reason).
DecisionValues = tuple[str, str, bool, int, int | None, str]


def record_decisions(
    session: Session, rows: Sequence[DecisionValues], decided_at: datetime
) -> None:
    """Insert decisions, all made at ``decided_at`` (timezone-aware), for entries this
    transaction has just inserted."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        columns = [list(column) for column in zip(*rows, strict=True)]
        with _driver(session).cursor() as cursor:
            cursor.execute(_INSERT_DECISIONS_PG, [decided_at, *columns])
    elif dialect == "sqlite":
        at = sqlite_utc_text(decided_at)
        _insert_sqlite(session, "decisions", DECISION_COLUMNS, [(*r, at) for r in rows])
    else:
        raise NotImplementedError(f"no bulk decision insert for {dialect}")


@dataclass(frozen=True, slots=True)
class StoredDecision:
    """A decision already stored, as the matcher reads it back for a re-delivered entry."""

    outcome: str
    flagged: bool
    priority: int
    declaration_id: int | None
    reason: str
    decided_at: datetime
    flag_id: int | None


_STORED_DECISIONS = (
    "SELECT d.event_id, d.outcome, d.flagged, d.priority, d.declaration_id, d.reason, "
    "d.decided_at, f.id FROM decisions d LEFT JOIN flags f ON f.event_id = d.event_id "
)


def in_list(column: str, dialect: str) -> str:
    """A condition: ``column`` is one of a list bound as a single parameter (``list_param``),
    so a statement's text does not change with the list's length. On SQLite ``json_each`` turns
    a JSON array into rows; either way the column's index is used."""
    if dialect == "sqlite":
        return f"{column} IN (SELECT value FROM json_each(?))"
    return f"{column} = ANY(%s::text[])"


def list_param(dialect: str, values: Sequence[str]) -> Any:
    """The one parameter ``in_list`` expects: a JSON array on SQLite, a list on PostgreSQL."""
    return json.dumps(list(values)) if dialect == "sqlite" else list(values)


def stored_decisions(session: Session, event_ids: Sequence[str]) -> dict[str, StoredDecision]:
    """The stored decisions (with their flag's id) of those of ``event_ids`` already decided."""
    if not event_ids:
        return {}
    dialect = session.get_bind().dialect.name
    sqlite = dialect == "sqlite"
    sql = _STORED_DECISIONS + "WHERE " + in_list("d.event_id", dialect)
    rows = _fetch(session, sql, (list_param(dialect, event_ids),))
    return {
        r[0]: StoredDecision(
            outcome=r[1],
            flagged=bool(r[2]),
            priority=r[3],
            declaration_id=r[4],
            reason=r[5],
            decided_at=from_sqlite_utc_text(r[6]) if sqlite else r[6].astimezone(UTC),
            flag_id=r[7],
        )
        for r in rows
    }


def open_flags(
    session: Session, flags: Sequence[tuple[str, str, int]], now: datetime
) -> dict[str, int]:
    """Open a flag per ``(event_id, reason, priority)``, skipping events that already have one;
    returns event id -> new flag id."""
    if not flags:
        return {}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        columns = [list(column) for column in zip(*flags, strict=True)]
        return dict(_fetch(session, _OPEN_FLAGS_PG, [now, now, *columns]))
    at = sqlite_utc_text(now)
    rows = [(event_id, reason, "open", priority, at, at) for event_id, reason, priority in flags]
    return dict(_insert_sqlite(session, "flags", _FLAG_COLUMNS, rows, new_returning="event_id, id"))


def audit_flags(
    session: Session,
    flag_ids: Iterable[int],
    action: str,
    actor: str,
    at: datetime,
    note: str | None = None,
) -> None:
    """One audit row per flag: who did what, when (the matcher opening flags, an operator
    acknowledging or resolving one, a late declaration resolving it)."""
    dialect = session.get_bind().dialect.name
    when: Any = sqlite_utc_text(at) if dialect == "sqlite" else at
    rows = [(flag_id, action, actor, when, note) for flag_id in flag_ids]
    if not rows:
        return
    if dialect == "sqlite":
        _insert_sqlite(session, "flag_audit", _AUDIT_COLUMNS, rows)
        return
    sql = f"INSERT INTO flag_audit ({', '.join(_AUDIT_COLUMNS)}) VALUES (%s, %s, %s, %s, %s)"
    with _driver(session).cursor() as cursor:
        cursor.executemany(sql, rows)  # psycopg pipelines the rows: one round trip


# One outbox row: (flag_id, status, key, value), all written at one ``created_at``.
OutboxValues = tuple[int, str, str, str]
_OUTBOX_COLUMNS = ("flag_id", "status", "key", "value", "created_at")


def add_outbox(session: Session, rows: Sequence[OutboxValues], at: datetime) -> None:
    """Queue FlagEvents for the relay (``flag_outbox``), in the caller's transaction: in the
    order given, which is the order the relay publishes them in."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        columns = [list(column) for column in zip(*rows, strict=True)]
        with _driver(session).cursor() as cursor:
            cursor.execute(_INSERT_OUTBOX_PG, [at, *columns])
    elif dialect == "sqlite":
        when = sqlite_utc_text(at)
        _insert_sqlite(session, "flag_outbox", _OUTBOX_COLUMNS, [(*r, when) for r in rows])
    else:
        raise NotImplementedError(f"no bulk outbox insert for {dialect}")


def _fetch(session: Session, sql: str, params: Any) -> list[Any]:
    cursor = _driver(session).cursor()
    try:
        cursor.execute(sql, params)
        return list(cursor.fetchall())
    finally:
        cursor.close()


# --- SQLite -------------------------------------------------------------------------------------


def _insert_sqlite(
    session: Session,
    table: str,
    columns: tuple[str, ...],
    rows: Sequence[tuple[Any, ...]],
    *,
    new_returning: str | None = None,
) -> list[Any]:
    """Insert rows in pages of multi-row ``VALUES``: one statement step per page, where
    executemany steps (and hands the GIL over) once per row, and ``RETURNING`` needs one
    statement anyway. With ``new_returning``, rows whose ``event_id`` is already there are
    skipped, and those columns of the inserted rows are returned."""
    out: list[Any] = []
    cursor = _driver(session).cursor()
    try:
        for start in range(0, len(rows), SQLITE_PAGE):
            page = rows[start : start + SQLITE_PAGE]
            cursor.execute(
                _insert_sql(table, columns, len(page), new_returning),
                [value for row in page for value in row],
            )
            out += cursor.fetchall()
    finally:
        cursor.close()
    return out


@lru_cache(maxsize=64)
def _insert_sql(table: str, columns: tuple[str, ...], rows: int, new_returning: str | None) -> str:
    one = "(" + ", ".join("?" * len(columns)) + ")"
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([one] * rows)}"
    if new_returning is not None:
        sql += f" ON CONFLICT (event_id) DO NOTHING RETURNING {new_returning}"
    return sql


def _record_entries_sqlite(
    session: Session, events: Sequence[EntryEvent], documents: list[str], now: datetime
) -> set[str]:
    received = sqlite_utc_text(now)
    rows = [
        (e.event_id, e.camera_id, e.checkpoint, e.direction, sqlite_utc_text(e.crossed_at),
         e.plate.normalised, _search_key(e), e.plate.display, e.plate.confidence,
         e.plate.readable, e.plate.format_valid, document, received)
        for e, document in zip(events, documents, strict=True)
    ]  # fmt: skip
    inserted = _insert_sqlite(session, "entries", _ENTRY_COLUMNS, rows, new_returning="event_id")
    return {row[0] for row in inserted}


# --- PostgreSQL ---------------------------------------------------------------------------------

_INSERT_ENTRIES_PG = """
    INSERT INTO entries (event_id, camera_id, checkpoint, direction, crossed_at,
                         plate_normalised, confusion_key, plate_display, confidence, readable,
                         format_valid, event, received_at)
    SELECT i, c, cp, d, t, pn, k, pd, conf, r, f, ev, %b
    FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[], %b::timestamptz[],
                %b::text[], %b::text[], %b::text[], %b::float8[], %b::boolean[], %b::boolean[],
                %b::json[])
         AS u(i, c, cp, d, t, pn, k, pd, conf, r, f, ev)
    ON CONFLICT (event_id) DO NOTHING
    RETURNING event_id
"""

_INSERT_DECISIONS_PG = """
    INSERT INTO decisions (event_id, outcome, flagged, priority, declaration_id, reason,
                           decided_at)
    SELECT *, %b FROM unnest(%b::text[], %b::text[], %b::boolean[], %b::int[], %b::int[],
                             %b::text[])
"""


_OPEN_FLAGS_PG = """
    INSERT INTO flags (event_id, reason, status, priority, created_at, updated_at)
    SELECT e, r, 'open', p, %b, %b FROM unnest(%b::text[], %b::text[], %b::int[]) AS u(e, r, p)
    ON CONFLICT (event_id) DO NOTHING
    RETURNING event_id, id
"""


# WITH ORDINALITY: ids are given in the order of the arrays, so the relay keeps that order.
_INSERT_OUTBOX_PG = """
    INSERT INTO flag_outbox (flag_id, status, key, value, created_at)
    SELECT f, s, k, v, %b
    FROM unnest(%b::int[], %b::text[], %b::text[], %b::text[]) WITH ORDINALITY AS u(f, s, k, v, n)
    ORDER BY n
"""


def _record_entries_pg(
    session: Session, events: Sequence[EntryEvent], documents: list[str], now: datetime
) -> set[str]:
    from psycopg.types.json import Json

    params = [
        now,
        [e.event_id for e in events],
        [e.camera_id for e in events],
        [e.checkpoint for e in events],
        [e.direction for e in events],
        [e.crossed_at for e in events],  # aware: timestamptz keeps the instant
        [e.plate.normalised for e in events],
        [_search_key(e) for e in events],
        [e.plate.display for e in events],
        [e.plate.confidence for e in events],
        [e.plate.readable for e in events],
        [e.plate.format_valid for e in events],
        # JSON already serialised: handed to the driver as is.
        [Json(document, dumps=_identity) for document in documents],
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
