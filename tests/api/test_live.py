"""The live flag stream: the poller's cursor logic on both stores, and the SSE endpoint under a
real uvicorn (resuming with Last-Event-ID)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from api.live import FlagCursor, FlagPoller
from api.main import create_app
from api.settings import Settings
from store import Store
from store.bulk import record_entries
from store.models import Flag, utcnow
from tests.api.conftest import LiveServer, make_flags, make_keys
from tests.matcher.factories import make_event


def test_cursor_round_trip_and_junk() -> None:
    at = datetime(2026, 7, 1, 8, 0, 0, 123456, tzinfo=UTC)
    cursor = FlagCursor(42, at)
    assert FlagCursor.parse(str(cursor)) == cursor
    for junk in ("", "42", "x_1", "1_x", "-1_5", "1_" + "9" * 30, "1__2"):
        assert FlagCursor.parse(junk) is None, junk


def test_poller_sends_new_and_changed_flags_once(store: Store) -> None:
    make_flags(store, 2)
    poller = FlagPoller.start(store, None)
    assert [f.flag_id for f in poller.poll() if f.flag_id > poller.last_id] == []
    poller.poll()  # the look-back may repeat the last changes once; then it is quiet
    assert poller.poll() == []
    new = make_flags(store, 3)
    assert [f.flag_id for f in poller.poll()] == new
    assert poller.poll() == []
    with store.transaction() as session:
        from sqlalchemy import update

        from store.models import Flag

        session.execute(
            update(Flag).where(Flag.id == new[0]).values(status="acknowledged", updated_at=utcnow())
        )
    changed = poller.poll()
    assert [(f.flag_id, f.status) for f in changed] == [(new[0], "acknowledged")]
    assert poller.poll() == []


def test_poller_resumes_from_a_cursor(store: Store) -> None:
    first = make_flags(store, 2)
    poller = FlagPoller.start(store, None)
    cursor = poller.cursor
    later = make_flags(store, 2)
    resumed = FlagPoller.start(store, FlagCursor.parse(str(cursor)))
    ids = [f.flag_id for f in resumed.poll()]
    assert [i for i in ids if i not in first] == later


def test_poller_catches_ids_that_commit_out_of_order(store: Store) -> None:
    events = [make_event() for _ in range(3)]
    with store.transaction() as session:
        record_entries(session, events)
    poller = FlagPoller.start(store, None)
    base = poller.last_id
    now = utcnow()

    def add(event_index: int, flag_id: int) -> None:
        event_id = events[event_index].event_id
        flag = Flag(id=flag_id, event_id=event_id, reason="undeclared", status="open",
                    priority=2, created_at=now, updated_at=now)  # fmt: skip
        with store.transaction() as session:
            session.add(flag)

    add(0, base + 3)  # a later id commits first...
    assert [f.flag_id for f in poller.poll()] == [base + 3]
    assert poller.cursor.last_id == base  # ...so a reconnect would resume below the hole
    add(1, base + 1)  # ...then the earlier one becomes visible
    assert [f.flag_id for f in poller.poll()] == [base + 1]
    assert poller.cursor.last_id == base + 1
    add(2, base + 2)
    assert [f.flag_id for f in poller.poll()] == [base + 2]
    assert poller.cursor.last_id == base + 3


def _events(
    lines: Iterator[str], want: set[int], timeout: float = 10.0
) -> list[tuple[str, str, str]]:
    """Read SSE events (id, name, data) until flags with all ids in ``want`` arrived."""
    out: list[tuple[str, str, str]] = []
    event_id = name = data = ""
    deadline = time.monotonic() + timeout
    for line in lines:
        if time.monotonic() > deadline:
            break
        if line.startswith("id:"):
            event_id = line[3:].strip()
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data = line[5:].strip()
        elif line == "" and name:
            out.append((event_id, name, data))
            name = ""
            if want <= {json.loads(d)["flag_id"] for _, n, d in out if n == "flag"}:
                break
    return out


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_stream_delivers_and_resumes(store: Store, settings: Settings) -> None:
    keys = make_keys(store)
    headers = {"X-API-Key": keys.integrator}
    with LiveServer(create_app(settings, store=store)) as server:
        url = f"{server.url}/api/flags/stream"
        with httpx.stream("GET", url, headers={"X-API-Key": "wrong"}, timeout=5) as resp:
            assert resp.status_code == 401
        with httpx.stream("GET", url, headers=headers, timeout=10) as resp:
            assert resp.headers["content-type"].startswith("text/event-stream")
            lines = resp.iter_lines()
            assert next(lines) == "retry: 1000"
            [first] = make_flags(store)
            got = _events(lines, {first})
        assert got[0][1] == "ready"
        flag_events = [(i, json.loads(d)) for i, n, d in got if n == "flag"]
        assert [f["flag_id"] for _, f in flag_events] == [first]
        assert flag_events[0][1]["status"] == "open"
        last_id = flag_events[-1][0]

        missed = make_flags(store, 3)  # made while the dashboard was disconnected
        resumed = {**headers, "Last-Event-ID": last_id}
        with httpx.stream("GET", url, headers=resumed, timeout=10) as resp:
            got = _events(resp.iter_lines(), set(missed))
        ids = [json.loads(d)["flag_id"] for _, n, d in got if n == "flag"]
        assert [i for i in ids if i != first] == missed
