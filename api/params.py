"""Query parameters shared by the list routes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Query, status
from pydantic import AwareDatetime

MAX_LIMIT = 200
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL and SQLite alike here


@dataclass(frozen=True, slots=True)
class TimeRange:
    since: datetime | None
    until: datetime | None


async def time_range(
    since: Annotated[
        AwareDatetime | None, Query(description="From this time (ISO 8601 with offset).")
    ] = None,
    until: Annotated[
        AwareDatetime | None, Query(description="Before this time (ISO 8601 with offset).")
    ] = None,
) -> TimeRange:
    if since is not None and until is not None and until <= since:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"until ({until.isoformat()}) must be after since ({since.isoformat()})",
        )
    return TimeRange(since, until)


TimeRangeDep = Annotated[TimeRange, Depends(time_range)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Rows to skip.")]
RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="Row id.")]
# ``?plate=`` of the flags, entries and declarations lists (``api.queries.plate_search``).
PlateSearch = Annotated[
    str | None,
    Query(
        max_length=20,
        description="Plate or its beginning, any punctuation; OCR look-alikes match "
        "(0/O/D/Q, 1/I/7/T, 2/Z, 5/S, 6/G, 8/B).",
    ),
]
