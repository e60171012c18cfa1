"""Fetching candidate declarations for a batch of plates.

``DeclarationLookup`` is the one interface the matcher talks to (the quix-streams pattern): the SQL
implementation below serves SQLite and PostgreSQL with the same code; an in-memory table fed from
``entrywatch.declarations.v1`` can implement it later without touching the matcher.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Protocol, TypeVar

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
    near matches together; ``assign_candidates`` drops rows too far from every plate.
    """

    def __init__(self, store: Store, *, chunk: int = DEFAULT_CHUNK) -> None:
        self._store = store
        self._chunk = chunk

    def fetch(self, plates: Iterable[str]) -> dict[str, list[DeclarationRecord]]:
        by_key = by_confusion_key(plates)
        result: dict[str, list[DeclarationRecord]] = {
            plate: [] for group in by_key.values() for plate in group
        }
        if not by_key:
            return result
        columns = [c for c in Declaration.__table__.c if c.name not in _UNUSED_COLUMNS]
        with self._store.session() as session:
            for keys in _chunks(sorted(by_key), self._chunk):
                query = (
                    select(*columns)
                    .where(Declaration.confusion_key.in_(keys))
                    .order_by(Declaration.id)
                )
                rows = session.execute(query).mappings()
                assign_candidates(
                    result,
                    by_key,
                    ((r["confusion_key"], r["plate_normalised"], r) for r in rows),
                    to_record,
                )
        return result

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


def assign_candidates(
    result: dict[str, list[DeclarationRecord]],
    by_key: dict[str, list[str]],
    rows: Iterable[tuple[str, str, R]],
    to_record: Callable[[R], DeclarationRecord],
) -> None:
    """Append each fetched declaration to the plates of its confusion-key group that it is a
    candidate for. ``rows`` are ``(confusion_key, plate_normalised, raw row)``; a row is turned
    into a record only when some plate can use it, since a key shared by many plates (1 and 7
    are confusable) brings back rows that no rule would look at."""
    for key, declared, raw in rows:
        record = None
        for plate in by_key[key]:
            if one_apart_in_group(plate, declared):
                if record is None:
                    record = to_record(raw)
                result[plate].append(record)


# Personal data the rules never need: not fetched, so not held in the matcher's memory.
_UNUSED_COLUMNS = frozenset(
    {"driver_name", "driver_phone", "origin", "destination", "purpose", "vehicle_class"}
)


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
