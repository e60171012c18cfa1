"""Stats: entries and flags per checkpoint per hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from api.deps import ReaderDep, SessionDep
from api.params import TimeRangeDep
from api.schemas import HourlyStat, OpenFlagCount
from pipeline.events import FlagStatus
from store.models import Entry, Flag, utcnow

router = APIRouter(prefix="/api/stats", tags=["stats"])

MAX_RANGE = timedelta(days=31)


@router.get("/hourly", response_model=list[HourlyStat])
def hourly(session: SessionDep, _: ReaderDep, window: TimeRangeDep) -> list[HourlyStat]:
    """Inbound entries and flags per checkpoint per hour of crossing (UTC hours). Default: the
    last 24 hours; at most 31 days."""
    until = window.until or utcnow()
    since = window.since or until - timedelta(hours=24)
    if until <= since:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "until must be after since")
    if until - since > MAX_RANGE:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "the range may be at most 31 days"
        )
    hour = _hour(session, Entry.crossed_at).label("hour")
    query: Any = (
        select(
            Entry.checkpoint,
            hour,
            func.count(Entry.event_id).label("entries"),
            func.count(Flag.id).label("flags"),
        )
        .outerjoin(Flag, Flag.event_id == Entry.event_id)
        .where(Entry.direction == "inbound", Entry.crossed_at >= since, Entry.crossed_at < until)
        .group_by(Entry.checkpoint, hour)
        .order_by(hour, Entry.checkpoint)
    )
    return [
        HourlyStat(checkpoint=r.checkpoint, hour=_as_time(r.hour), entries=r.entries, flags=r.flags)
        for r in session.execute(query)
    ]


@router.get("/open-flags", response_model=OpenFlagCount)
def open_flags(session: SessionDep, _: ReaderDep) -> OpenFlagCount:
    """How many flags are open, in all and per priority (the dashboard's header and tab title).
    One grouped count on the (status, id) index."""
    rows = session.execute(
        select(Flag.priority, func.count(Flag.id))
        .where(Flag.status == FlagStatus.OPEN.value)
        .group_by(Flag.priority)
    ).all()
    by_priority = {int(p): int(n) for p, n in rows}
    return OpenFlagCount(open=sum(by_priority.values()), by_priority=by_priority)


def _hour(session: Session, column: Any) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return func.date_trunc("hour", func.timezone("UTC", column))
    return func.strftime("%Y-%m-%d %H:00:00", column)


def _as_time(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
