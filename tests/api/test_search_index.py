"""Plate search by the entries' stored confusion key (revision 0006): every writer of entries
fills it, rows stored before the revision are backfilled and found, and the search is a range of
the key's index (PostgreSQL under a linguistic collation, SQLite), not a scan."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select, text

from api.main import create_app
from api.settings import Settings
from store import Store, migrate, open_store
from store.bulk import record_entries
from store.models import Entry, table_of
from store.plates import confusion_key
from tests.api.conftest import Keys, flag_events, make_keys
from tests.matcher.factories import T0, make_event
from tests.pg_server import PostgresServer


def _keys_of(store: Store) -> dict[str | None, str | None]:
    with store.session() as session:
        rows = session.execute(select(Entry.plate_normalised, Entry.confusion_key)).all()
    return {plate: key for plate, key in rows}


def _found(client: TestClient, keys: Keys, path: str, plate: str) -> list[str]:
    answer = client.get(path, params={"plate": plate}, headers=keys.headers("operator"))
    assert answer.status_code == 200, answer.text
    return sorted(item["plate"] for item in answer.json()["items"])


def test_every_writer_of_entries_stores_the_key(store: Store) -> None:
    # The matcher's batch (store.bulk through matcher.local), store.bulk alone, the ORM, and a
    # Core executemany (as bench.api_server seeds).
    flag_events(store, make_event("3OK55IO2"), make_event(None))
    with store.transaction() as session:
        record_entries(session, [make_event("51G88123")])
        orm = make_event("29A12345")
        session.add(
            Entry(
                event_id=orm.event_id, camera_id="cam-1", checkpoint="CP", direction="inbound",
                crossed_at=T0, plate_normalised="29A12345", plate_display=None, confidence=0.9,
                readable=True, format_valid=True, event=orm.model_dump(mode="json"),
            )
        )  # fmt: skip
        core = [make_event(p) for p in ("88B00001", "88B00002")]
        session.execute(
            table_of(Entry).insert(),
            [
                {"event_id": e.event_id, "camera_id": "cam-1", "checkpoint": "CP",
                 "direction": "inbound", "crossed_at": T0, "plate_normalised": e.plate.normalised,
                 "plate_display": None, "confidence": 0.9, "readable": True,
                 "format_valid": True, "event": e.model_dump(mode="json")}
                for e in core
            ],
        )  # fmt: skip
    stored = _keys_of(store)
    assert stored == {
        "3OK55IO2": "30K55102",
        None: None,  # no plate read: no key, never found
        "51G88123": "51688123",
        "29A12345": "29A12345",
        "88B00001": "88800001",
        "88B00002": "88800002",
    }
    assert all(key == confusion_key(plate) for plate, key in stored.items() if plate)


def _entry_row(plate: str | None, minutes: int) -> dict[str, Any]:
    e = make_event(plate, crossed_at=T0 + timedelta(minutes=minutes))
    return {
        "event_id": e.event_id, "camera_id": e.camera_id, "checkpoint": e.checkpoint,
        "direction": "inbound", "crossed_at": e.crossed_at, "plate_normalised": plate,
        "plate_display": plate, "confidence": 0.9, "readable": plate is not None,
        "format_valid": plate is not None, "event": e.model_dump_json(), "received_at": T0,
    }  # fmt: skip


def test_entries_stored_before_the_key_are_backfilled_and_found(
    db_url: str, tmp_path: Path
) -> None:
    migrate(db_url, "0005")
    rows = [_entry_row("30K55102", 0), _entry_row("3OK55IO3", 1), _entry_row("75A12345", 2),
            _entry_row(None, 3)]  # fmt: skip
    with open_store(db_url) as old, old.transaction() as session:
        # The tables as revision 0005 left them, written without the models (which are newer).
        columns = ", ".join(rows[0])
        values = ", ".join(f":{c}" for c in rows[0])
        session.execute(text(f"INSERT INTO entries ({columns}) VALUES ({values})"), rows)
        session.execute(
            text(
                "INSERT INTO flags (event_id, reason, status, priority, created_at, updated_at) "
                "VALUES (:event_id, 'undeclared', 'open', 2, :received_at, :received_at)"
            ),
            rows,
        )
    migrate(db_url)
    with open_store(db_url) as store:
        assert _keys_of(store) == {
            "30K55102": "30K55102",
            "3OK55IO3": "30K55103",
            "75A12345": "15A12345",
            None: None,
        }
        settings = Settings(db_url=db_url, evidence_root=tmp_path, list_cache_s=0, auth_cache_s=0)
        keys = make_keys(store)
        with TestClient(create_app(settings, store=store)) as client:
            for path in ("/api/entries", "/api/flags"):
                assert _found(client, keys, path, "30K") == ["30K55102", "3OK55IO3"]
                assert _found(client, keys, path, "3OK551O3") == ["3OK55IO3"]
                assert _found(client, keys, path, "7SA") == ["75A12345"]
                assert _found(client, keys, path, "9") == []


def _statements(store: Store, client: TestClient, keys: Keys, path: str) -> list[tuple[Any, Any]]:
    """The SQL (with its parameters) the route ran for one plate search."""
    seen: list[tuple[Any, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "confusion_key" in statement and "LIKE" in statement.upper():
            seen.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        assert client.get(path, headers=keys.headers("operator")).status_code == 200
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    assert seen, f"{path} ran no plate search"
    return seen


def _seed(store: Store, n: int) -> None:
    events = [make_event(f"{11 + i % 89}A{i:05d}", crossed_at=T0 + timedelta(seconds=i))
              for i in range(n)]  # fmt: skip
    flag_events(store, *events)


SEARCHES = ("/api/entries?plate=3OA0I", "/api/flags?status=open&plate=3OA0I")


@pytest.fixture
def linguistic_pg_store(pg_server: PostgresServer) -> Iterator[Store]:
    """A PostgreSQL database in C.UTF-8, not C: under any collation but C, PostgreSQL turns a
    LIKE prefix into an index range only for a column (or index) in the C collation."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    pg_server.create_database(name, locale="C.UTF-8")
    try:
        url = pg_server.url(name)
        migrate(url)
        with open_store(url) as store:
            yield store
    finally:
        pg_server.drop_database(name)


def test_postgresql_searches_by_a_range_of_the_key_index(
    linguistic_pg_store: Store, tmp_path: Path
) -> None:
    store = linguistic_pg_store
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW lc_collate").scalar() == "C.UTF-8"
    _seed(store, 3000)
    with store.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
    url = store.engine.url.render_as_string(hide_password=False)
    settings = Settings(db_url=url, evidence_root=tmp_path, list_cache_s=0, auth_cache_s=0)
    keys = make_keys(store)
    with TestClient(create_app(settings, store=store)) as client:
        for path in SEARCHES:
            assert _found(client, keys, path.split("?")[0], "3OA0I") != []
            for statement, parameters in _statements(store, client, keys, path):
                with store.engine.connect() as conn:
                    plan = "\n".join(
                        conn.exec_driver_sql("EXPLAIN " + statement, parameters).scalars()
                    )
                # An index range, not "Filter: confusion_key ~~ ..." over a scan.
                conds = [line for line in plan.splitlines() if "Index Cond" in line]
                assert "ix_entries_confusion_key" in plan, plan
                assert any(re.search(r"confusion_key\)?(::text)? >=", c) for c in conds), plan


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sqlite_searches_by_a_range_of_the_key_index(
    store: Store, client: TestClient, keys: Keys
) -> None:
    _seed(store, 300)
    with store.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
    for path in SEARCHES:
        for statement, parameters in _statements(store, client, keys, path):
            with store.engine.connect() as conn:
                plan = "\n".join(
                    str(row[-1])
                    for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
                )
            assert "USING INDEX ix_entries_confusion_key (confusion_key>? AND" in plan, plan
