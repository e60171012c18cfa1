"""A faster ``DeclarationLookup`` for the matcher's hot path.

Same query and same answers as ``pipeline.matching.lookup.SqlDeclarationLookup`` (a test holds
them equal on both backends), but run on the driver with one fixed statement per backend: the
keys go in as one parameter (a JSON array on SQLite, an array on PostgreSQL), and rows come back
from the driver's own cursor as plain tuples, turned into records here only when a plate can use
them. That skips the ORM session and per-column result processing, which cost more than the query
itself on a batch of thousands of plates.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from pipeline.matching.lookup import find_candidates
from pipeline.matching.plates import normalised_plates
from pipeline.matching.records import ANY_CHECKPOINT, DeclarationRecord
from pipeline.store.bulk import in_list, list_param
from pipeline.store.db import Store
from pipeline.store.types import from_sqlite_utc_text

# Times and JSON come back as text on both backends, in SQLite's storage format (naive UTC
# text, see pipeline.store.types.UTCDateTime): one converter for both, and parsing that text here
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
