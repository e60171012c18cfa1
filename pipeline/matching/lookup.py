"""Fetching candidate declarations for a batch of plates.

``DeclarationLookup`` is the one interface the matcher talks to (the quix-streams pattern): the SQL
implementation below serves SQLite and PostgreSQL with the same code; an in-memory table fed from
``entrywatch.declarations.v1`` can implement it later without touching the matcher.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy import select

from pipeline.matching.plates import by_confusion_key, normalised_plates, one_apart_in_group
from pipeline.matching.records import DeclarationRecord
from pipeline.store.db import Store
from pipeline.store.models import Declaration, WatchlistEntry
from pipeline.store.writes import to_record

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
