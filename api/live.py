"""Live flags over server-sent events, by polling the store.

Polling (every ``stream_poll_s``, 200 ms by default) works the same on SQLite and PostgreSQL and
with any number of matcher processes, and needs no broker. Each poll asks for flags with an id
above the cursor, ids the cursor skipped (see below), or an ``updated_at`` within a short
look-back of the newest change seen, and sends each new or changed flag once.

Why the look-back and the skipped ids: ids and ``updated_at`` are assigned before a transaction
commits, so a flag can become visible after a larger id (two matchers committing out of order, or
a sequence value used by an ``ON CONFLICT DO NOTHING``). Ids below the highest one seen that were
not there yet are re-asked for ``GAP_TTL_S`` seconds; changes are re-read for ``LOOKBACK``.

The id of every event is a cursor ``<id>_<updated_us>``; an ``EventSource`` (or the dashboard's
own reader) sends the last one back as ``Last-Event-ID`` when it reconnects and the stream
resumes from there. Replays can repeat a flag; clients upsert by flag id.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import anyio
from fastapi import Request
from sqlalchemy import func, or_, select

from api.queries import flag_from_row, flag_select
from api.schemas import FlagPublic
from api.settings import Settings
from store import Store
from store.models import Flag

log = logging.getLogger(__name__)

LOOKBACK = timedelta(seconds=5)
GAP_TTL_S = 10.0
BATCH = 500
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _to_us(at: datetime) -> int:
    return (at - _EPOCH) // timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class FlagCursor:
    last_id: int
    updated: datetime

    def __str__(self) -> str:
        return f"{self.last_id}_{_to_us(self.updated)}"

    @classmethod
    def parse(cls, text: str) -> FlagCursor | None:
        """A cursor from a Last-Event-ID; None for anything else (start from now)."""
        head, sep, tail = text.strip().partition("_")
        if not sep or not head.isdigit() or not tail.isdigit() or len(tail) > 18:
            return None
        try:
            return cls(int(head), _EPOCH + timedelta(microseconds=int(tail)))
        except OverflowError:
            return None


@dataclass
class FlagPoller:
    """What one stream has sent so far; ``poll`` returns what is new or changed since."""

    store: Store
    last_id: int = 0
    updated: datetime = _EPOCH
    sent: dict[int, datetime] = field(default_factory=dict)
    gaps: dict[int, float] = field(default_factory=dict)

    @classmethod
    def start(cls, store: Store, cursor: FlagCursor | None) -> FlagPoller:
        if cursor is not None:
            return cls(store, cursor.last_id, cursor.updated)
        with store.session() as session:
            last_id, updated = session.execute(
                select(func.max(Flag.id), func.max(Flag.updated_at))
            ).one()
        if isinstance(updated, str):  # SQLite aggregates lose the column type
            updated = datetime.fromisoformat(updated).replace(tzinfo=UTC)
        return cls(store, last_id or 0, updated or _EPOCH)

    @property
    def cursor(self) -> FlagCursor:
        resume = min([self.last_id, *(g - 1 for g in self.gaps)])
        return FlagCursor(resume, self.updated)

    def poll(self) -> list[FlagPublic]:
        now = time.monotonic()
        self.gaps = {g: t for g, t in self.gaps.items() if t > now}
        conditions = [Flag.id > self.last_id, Flag.updated_at > self.updated - LOOKBACK]
        if self.gaps:
            conditions.append(Flag.id.in_(list(self.gaps)))
        query = flag_select().where(or_(*conditions)).order_by(Flag.id).limit(BATCH)
        with self.store.session() as session:
            rows = session.execute(query).all()
        out: list[FlagPublic] = []
        for row in rows:
            flag = flag_from_row(row)
            fid = flag.flag_id
            if fid > self.last_id:
                self.gaps.update({g: now + GAP_TTL_S for g in range(self.last_id + 1, fid)})
                self.last_id = fid
            elif fid in self.gaps:
                del self.gaps[fid]
            elif self.sent.get(fid) == flag.updated_at:
                continue  # seen in the look-back already
            self.sent[fid] = flag.updated_at
            self.updated = max(self.updated, flag.updated_at)
            out.append(flag)
        if len(self.gaps) > 10_000:  # a huge jump: give up on the oldest holes
            for g in sorted(self.gaps)[: len(self.gaps) - 10_000]:
                del self.gaps[g]
        horizon = self.updated - LOOKBACK
        self.sent = {i: at for i, at in self.sent.items() if at > horizon}
        return out


def _event(name: str, data: str, event_id: str | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: {data}\n\n"


async def stream_flags(
    request: Request, store: Store, settings: Settings, cursor: FlagCursor | None
) -> AsyncIterator[str]:
    metrics = getattr(request.app.state, "metrics", None)
    poller = await anyio.to_thread.run_sync(FlagPoller.start, store, cursor)
    if metrics is not None:
        metrics.stream_clients.inc()
    try:
        yield "retry: 1000\n\n"
        yield _event("ready", f'{{"cursor": "{poller.cursor}"}}', str(poller.cursor))
        quiet_since = time.monotonic()
        while not await request.is_disconnected():
            flags = await anyio.to_thread.run_sync(poller.poll)
            for flag in flags:
                yield _event("flag", flag.model_dump_json(), str(poller.cursor))
            if flags:
                quiet_since = time.monotonic()
                if metrics is not None:
                    metrics.stream_events.inc(len(flags))
                if len(flags) == BATCH:
                    continue  # catching up: no sleep
            elif time.monotonic() - quiet_since >= settings.stream_keepalive_s:
                yield ": keepalive\n\n"
                quiet_since = time.monotonic()
            await anyio.sleep(settings.stream_poll_s)
    finally:
        if metrics is not None:
            metrics.stream_clients.dec()
        log.debug("flag stream closed at %s", poller.cursor)
