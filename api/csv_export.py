"""CSV answers of the list routes (``?format=csv`` or ``Accept: text/csv``): the filtered rows as
a spreadsheet opens them (UTF-8 with a byte-order mark, so Vietnamese names survive Excel), every
cell that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``) quoted with ``'``."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Header, Query, Response

# A CSV export is every match, not a page: at most this many rows (the newest).
CSV_MAX_ROWS = 10_000
DEFAULT_PAGE = 50

FormatQuery = Annotated[
    Literal["json", "csv"] | None,
    Query(alias="format", description="csv: the filtered rows as a CSV file (Accept: text/csv)."),
]
AcceptHeader = Annotated[str | None, Header(max_length=1000, include_in_schema=False)]

_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def wants_csv(format_: str | None, accept: str | None) -> bool:
    if format_ is not None:
        return format_ == "csv"
    return accept is not None and "text/csv" in accept.lower()


def page_size(limit: int | None, as_csv: bool) -> int:
    """The rows to read: the page asked for, else 50 (JSON) or every match up to 10,000 (CSV)."""
    if limit is not None:
        return limit
    return CSV_MAX_ROWS if as_csv else DEFAULT_PAGE


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def csv_response(name: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """A CSV download named ``entrywatch-<name>-<UTC time>.csv``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Response(
        ("\ufeff" + out.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="entrywatch-{name}-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )
