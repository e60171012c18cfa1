"""Fetching candidate declarations for a batch of plates.

``DeclarationLookup`` is the one interface the matcher talks to (the quix-streams pattern). Two
implementations give the same answers (a test holds them equal on both backends):

- ``SqlDeclarationLookup`` goes through the SQLAlchemy session and serves SQLite and PostgreSQL
  with the same code (the in-process matcher and the API use it);
- ``DriverDeclarationLookup`` is the Kafka matcher's hot path: one fixed statement per backend run
  on the driver, the keys as one parameter (a JSON array on SQLite, an array on PostgreSQL), rows
  back from the driver's own cursor as plain tuples, turned into records only when a plate can use
  them. That skips the ORM session and per-column result processing, which cost more than the
  query itself on a batch of thousands of plates.

An in-memory table fed from ``entrywatch.declarations.v1`` can implement the interface later
without touching the matcher.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy import select

from store.bulk import in_list, list_param
from store.db import Store
from store.models import Declaration, WatchlistEntry
from store.plates import by_confusion_key, normalised_plates, one_apart_in_group
from store.records import ANY_CHECKPOINT, DeclarationRecord
from store.types import from_sqlite_utc_text
from store.writes import to_record

# Bound on bind parameters per statement: SQLite allows 32766, PostgreSQL 65535; well under both.
DEFAULT_CHUNK = 1000

T = TypeVar("T")
R = TypeVar("R")


class DeclarationLookup(Protocol):
    def fetch(self, plates: Iterable[str]) -> dict[str, list[DeclarationRecord]]:
        """Candidates per normalised plate, in one batch: declarations of that plate, or of a
        plate one confusable substitution away (the only ones the rules can use).

        Every requested (non-empty) plate is a key, with an empty list when nothing matches.
        """
        ...

    def watchlisted(self, plates: Iterable[str]) -> set[str]:
        """The normalised plates among ``plates`` that are on the watch list."""
        ...


class SqlDeclarationLookup:
    """``DeclarationLookup`` over the SQLAlchemy store.

    One query per ``chunk`` plates (one query for any ordinary batch): exact matches share the
    plate's confusion key, so ``confusion_key IN (...)`` on the indexed column returns exact and
    near matches together; ``find_candidates`` drops rows too far from every plate.
    """

    def __init__(self, store: Store, *, chunk: int = DEFAULT_CHUNK) -> None:
        self._store = store
        self._chunk = chunk

    def fetch(self, plates: Iterable[str]) -> dict[str, list[DeclarationRecord]]:
        return find_candidates(plates, self._rows, to_record)

    def _rows(self, keys: list[str]) -> Iterator[tuple[str, str, Any]]:
        columns = [c for c in Declaration.__table__.c if c.name not in _UNUSED_COLUMNS]
        with self._store.session() as session:
            for chunk in _chunks(keys, self._chunk):
                query = (
                    select(*columns)
                    .where(Declaration.confusion_key.in_(chunk))
                    .order_by(Declaration.id)
                )
                for r in session.execute(query).mappings():
                    yield r["confusion_key"], r["plate_normalised"], r

    def watchlisted(self, plates: Iterable[str]) -> set[str]:
        wanted = sorted(normalised_plates(plates))
        found: set[str] = set()
        if not wanted:
            return found
        with self._store.session() as session:
            for chunk in _chunks(wanted, self._chunk):
                query = select(WatchlistEntry.plate_normalised).where(
                    WatchlistEntry.plate_normalised.in_(chunk)
                )
                found.update(session.scalars(query))
        return found


def find_candidates(
    plates: Iterable[str],
    rows_for: Callable[[list[str]], Iterable[tuple[str, str, R]]],
    to_record: Callable[[R], DeclarationRecord],
) -> dict[str, list[DeclarationRecord]]:
    """``DeclarationLookup.fetch`` given a way to fetch rows: ``rows_for(confusion_keys)``
    yields ``(confusion_key, plate_normalised, raw row)`` for the declarations under those keys.

    Each row goes to the plates of its key's group that can use it (exact, or one confusable
    substitution away), and is turned into a record only then: a key shared by many plates (1 and
    7 are confusable) brings back rows that no rule would look at.
    """
    by_key = by_confusion_key(plates)
    result: dict[str, list[DeclarationRecord]] = {
        plate: [] for group in by_key.values() for plate in group
    }
    if not by_key:
        return result
    for key, declared, raw in rows_for(sorted(by_key)):
        record = None
        for plate in by_key[key]:
            if one_apart_in_group(plate, declared):
                if record is None:
                    record = to_record(raw)
                result[plate].append(record)
    return result


# Personal data the rules never need: not fetched, so not held in the matcher's memory.
_UNUSED_COLUMNS = frozenset(
    {"driver_name", "driver_phone", "origin", "destination", "purpose", "vehicle_class"}
)


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# Times and JSON come back as text on both backends, in SQLite's storage format (naive UTC
# text, see store.types.UTCDateTime): one converter for both, and parsing that text here
# is several times faster than the driver building aware datetimes and decoding JSONB itself.
_SQLITE_COLUMNS = (
    "id, plate_normalised, confusion_key, valid_from, valid_until, checkpoints, filed_at, "
    "plate_display, filed_via"
)
_PG_UTC_TEXT = "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
_PG_COLUMNS = (
    f"id, plate_normalised, confusion_key, {_PG_UTC_TEXT.format('valid_from')}, "
    f"{_PG_UTC_TEXT.format('valid_until')}, checkpoints::text, "
    f"{_PG_UTC_TEXT.format('filed_at')}, plate_display, filed_via"
)
_SQL = {
    dialect: f"SELECT {columns} FROM declarations "
    f"WHERE {in_list('confusion_key', dialect)} ORDER BY id"
    for dialect, columns in (("sqlite", _SQLITE_COLUMNS), ("postgresql", _PG_COLUMNS))
}
_WATCHED = {
    dialect: f"SELECT plate_normalised FROM watchlist WHERE {in_list('plate_normalised', dialect)}"
    for dialect in _SQL
}


class DriverDeclarationLookup:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._dialect = store.dialect
        if self._dialect not in _SQL:
            raise NotImplementedError(f"no driver lookup for {self._dialect}")

    def fetch(self, plates: Iterable[str]) -> dict[str, list[DeclarationRecord]]:
        return find_candidates(plates, self._rows, _to_record)

    def _rows(self, keys: list[str]) -> Iterator[tuple[str, str, Any]]:
        for row in self._query(_SQL[self._dialect], keys):
            yield row[2], row[1], row

    def watchlisted(self, plates: Iterable[str]) -> set[str]:
        wanted = sorted(normalised_plates(plates))
        if not wanted:
            return set()
        return {row[0] for row in self._query(_WATCHED[self._dialect], wanted)}

    def _query(self, sql: str, values: list[str]) -> list[tuple[Any, ...]]:
        param = list_param(self._dialect, values)
        with self._store.engine.connect() as conn:
            driver = conn.connection.driver_connection
            assert driver is not None
            cursor = driver.cursor()
            try:
                cursor.execute(sql, (param,))
                return list(cursor.fetchall())
            finally:
                cursor.close()


def _to_record(row: Any) -> DeclarationRecord:
    checkpoints = row[5]
    # Positional: thousands per batch (id, plate, valid from/until, checkpoints, filed at,
    # display plate, filed via).
    return DeclarationRecord(
        row[0],
        row[1],
        from_sqlite_utc_text(row[3]),
        from_sqlite_utc_text(row[4]),
        None if checkpoints == _ANY_JSON else frozenset(json.loads(checkpoints)),
        from_sqlite_utc_text(row[6]),
        row[7],
        row[8],
    )


_ANY_JSON = json.dumps(ANY_CHECKPOINT)
