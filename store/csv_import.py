"""Importing declarations filed as CSV (bulk uploads from district offices).

Columns (any order, all present, header on line 1)::

    plate,display_plate,vehicle_class,driver_name,phone,origin,destination,purpose,
    checkpoints,valid_from,valid_until,filed_at,filed_via

``checkpoints`` is ``*`` for any checkpoint, else ids joined by ``;``; given the registry's codes
(``known_checkpoints``), a row naming another is rejected with the unknown code and the known ones,
and codes are stored as the registry spells them. Times are ISO 8601 and must
carry an offset (``2026-07-01T08:00:00+07:00``): a naive time is rejected by default, because
guessing a zone silently shifts a window by hours. Callers who know the file's zone pass
``assume_tz`` (for Huế, ``ZoneInfo("Asia/Ho_Chi_Minh")``). Empty ``filed_at`` means "now" and
empty ``filed_via`` means ``csv``.

Bad rows are reported with their line number and reason and skipped; good rows are stored in one
transaction. A row that repeats another (same plate, window and checkpoints), earlier in the file
or already stored, is reported as a duplicate and not stored again: importing a file twice files
nothing twice. A file that cannot be read as this CSV at all raises ``DeclarationsFileError``.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.validation import Loc, describe_errors, without_value_error
from store.db import Store
from store.models import Declaration, utcnow
from store.records import ANY_CHECKPOINT
from store.schemas import DeclarationIn, UnknownCheckpoint, check_checkpoints
from store.writes import add_declarations

log = logging.getLogger(__name__)

# CSV column -> DeclarationIn field.
COLUMNS: dict[str, str] = {
    "plate": "plate",
    "display_plate": "plate_display",
    "vehicle_class": "vehicle_class",
    "driver_name": "driver_name",
    "phone": "driver_phone",
    "origin": "origin",
    "destination": "destination",
    "purpose": "purpose",
    "checkpoints": "checkpoints",
    "valid_from": "valid_from",
    "valid_until": "valid_until",
    "filed_at": "filed_at",
    "filed_via": "filed_via",
}
_FIELD_TO_COLUMN = {field: column for column, field in COLUMNS.items()}


class DeclarationsFileError(ValueError):
    """The file as a whole cannot be imported (missing, not UTF-8 CSV, wrong header)."""


@dataclass(frozen=True, slots=True)
class RowError:
    line: int  # as in the file: the header is line 1
    reason: str


@dataclass(frozen=True, slots=True)
class ParsedRow:
    line: int
    declaration: DeclarationIn


@dataclass(frozen=True, slots=True)
class ImportReport:
    path: Path
    imported: int
    declaration_ids: tuple[int, ...]
    errors: tuple[RowError, ...]


def parse_time_zone(name: str) -> ZoneInfo:
    """The zone named ``name`` (``Asia/Ho_Chi_Minh``) for times written without an offset;
    ``ValueError("unknown time zone ...")`` for a name that is none (a folder of the zone
    database or a path included)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {name!r}") from None


def parse_declarations_csv(
    path: str | Path,
    *,
    assume_tz: tzinfo | None = None,
    known_checkpoints: Collection[str] = (),
) -> tuple[list[ParsedRow], list[RowError]]:
    """Read and validate the file; touches no database. ``known_checkpoints`` empty: any
    checkpoint code is accepted."""
    path = Path(path)
    rows: list[ParsedRow] = []
    errors: list[RowError] = []
    seen: dict[DuplicateKey, int] = {}
    now = utcnow()
    for line, values in _records(path):
        try:
            declaration = DeclarationIn.model_validate(
                _row_input(values, now), context={"assume_tz": assume_tz}
            )
        except ValidationError as exc:
            errors.append(RowError(line, _describe(exc)))
            continue
        except _RowShapeError as exc:
            errors.append(RowError(line, str(exc)))
            continue
        try:
            codes = check_checkpoints(declaration.checkpoints, known_checkpoints)
        except UnknownCheckpoint as exc:
            errors.append(RowError(line, f"checkpoints: {exc}"))
            continue
        if codes != declaration.checkpoints:
            declaration = declaration.model_copy(update={"checkpoints": codes})
        key = duplicate_key(declaration)
        if key in seen:
            errors.append(
                RowError(line, f"duplicate of line {seen[key]} (plate, window, checkpoints)")
            )
            continue
        seen[key] = line
        rows.append(ParsedRow(line, declaration))
    return rows, errors


# What makes two declarations the same filing: plate, window (UTC) and checkpoints.
DuplicateKey = tuple[str, datetime, datetime, frozenset[str] | None]


def duplicate_key(declaration: DeclarationIn) -> DuplicateKey:
    return (
        declaration.plate,
        declaration.valid_from.astimezone(UTC),
        declaration.valid_until.astimezone(UTC),
        declaration.checkpoints,
    )


def _stored_keys(session: Session, plates: set[str]) -> dict[DuplicateKey, int]:
    """The duplicate keys of the declarations stored for ``plates``, with their ids."""
    if not plates:
        return {}
    query = select(
        Declaration.id,
        Declaration.plate_normalised,
        Declaration.valid_from,
        Declaration.valid_until,
        Declaration.checkpoints,
    ).where(Declaration.plate_normalised.in_(sorted(plates)))
    out: dict[DuplicateKey, int] = {}
    for id_, plate, start, end, checkpoints in session.execute(query):
        cps = None if checkpoints == ANY_CHECKPOINT else frozenset(checkpoints)
        out[(plate, start.astimezone(UTC), end.astimezone(UTC), cps)] = id_
    return out


def import_declarations(
    store: Store,
    path: str | Path,
    *,
    assume_tz: tzinfo | None = None,
    known_checkpoints: Collection[str] = (),
) -> ImportReport:
    """Parse ``path`` and store its good rows in one transaction (all of them or none)."""
    path = Path(path)
    rows, errors = parse_declarations_csv(
        path, assume_tz=assume_tz, known_checkpoints=known_checkpoints
    )
    with store.transaction() as session:
        stored = _stored_keys(session, {r.declaration.plate for r in rows})
        fresh = []
        for r in rows:
            existing = stored.get(duplicate_key(r.declaration))
            if existing is None:
                fresh.append(r)
            else:
                errors.append(RowError(r.line, f"duplicate of declaration #{existing}"))
        ids = add_declarations(session, [r.declaration for r in fresh])
    errors.sort(key=lambda e: e.line)
    for error in errors:
        log.warning("%s:%d: %s", path, error.line, error.reason)
    log.info("%s: imported %d declarations, %d rows rejected", path, len(ids), len(errors))
    return ImportReport(path, len(ids), tuple(ids), tuple(errors))


class _RowShapeError(ValueError):
    pass


def _records(path: Path) -> Iterator[tuple[int, dict[str, str] | list[str]]]:
    """Yield ``(first line of record, values)``; a row of the wrong width yields its raw list."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DeclarationsFileError(f"{path}: no such file") from None
    except OSError as exc:
        raise DeclarationsFileError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8-sig")  # Excel writes a byte-order mark; accept it
    except UnicodeDecodeError as exc:
        raise DeclarationsFileError(
            f"{path}: not UTF-8 (byte {exc.start}: {data[exc.start : exc.start + 1]!r}); "
            "save the file as CSV UTF-8"
        ) from None
    if not text.strip():
        raise DeclarationsFileError(f"{path}: empty file, expected a header line")

    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip().lower() for h in next(reader)]
        _check_header(path, header)
        previous_end = reader.line_num
        for raw in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if not any(cell.strip() for cell in raw):
                continue  # blank lines are harmless
            if len(raw) != len(header):
                yield start, raw
            else:
                yield start, dict(zip(header, raw, strict=True))
    except csv.Error as exc:
        where = f"{path}: line {reader.line_num}"
        raise DeclarationsFileError(f"{where}: not valid CSV: {exc}") from exc


def _check_header(path: Path, header: list[str]) -> None:
    missing = [c for c in COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if missing or unknown or duplicated:
        problems = []
        if missing:
            problems.append(f"missing {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown {', '.join(repr(c) for c in unknown)}")
        if duplicated:
            problems.append(f"repeated {', '.join(duplicated)}")
        raise DeclarationsFileError(
            f"{path}: wrong header ({'; '.join(problems)}); expected {','.join(COLUMNS)}"
        )


def _row_input(values: dict[str, str] | list[str], now: object) -> dict[str, object]:
    if isinstance(values, list):
        raise _RowShapeError(f"expected {len(COLUMNS)} columns, found {len(values)}")
    data: dict[str, object] = {
        COLUMNS[column]: text.strip() for column, text in values.items() if text.strip()
    }
    # An empty checkpoints cell is a mistake, not "any": "any" must be written as "*".
    data.setdefault("checkpoints", "")
    data.setdefault("filed_at", now)
    data.setdefault("filed_via", "csv")
    return data


def _describe(exc: ValidationError) -> str:
    def column(loc: Loc) -> str:
        field = str(loc[0]) if loc else ""
        return _FIELD_TO_COLUMN.get(field, field)

    return describe_errors(exc, where=column, root="", message=without_value_error)
