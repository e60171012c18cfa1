"""Background WAL checkpoints on SQLite (store.wal), as the matcher opens its store."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import text

from store import migrate, open_store
from store.bulk import record_entries
from tests.matcher.factories import make_event


def autocheckpoint(url: str, **options: float) -> int:
    with open_store(url, **options) as store, store.engine.connect() as conn:
        return int(conn.execute(text("PRAGMA wal_autocheckpoint")).scalar_one())


def test_commits_leave_checkpoints_to_the_background_thread(tmp_path: Path) -> None:
    path = tmp_path / "entrywatch.db"
    url = f"sqlite:///{path}"
    migrate(url)
    assert autocheckpoint(url) == 1000  # SQLite's own default, for every other store
    assert autocheckpoint(url, background_checkpoints_s=0.05) == 0

    with open_store(url, background_checkpoints_s=0.05) as store:
        before = path.stat().st_size
        with store.transaction() as session:
            record_entries(session, [make_event(f"75A{i:05d}") for i in range(3000)])
        # The commit wrote only to the log; only the thread copies it into the database file.
        deadline = time.monotonic() + 10
        while path.stat().st_size < before + (1 << 20) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.stat().st_size >= before + (1 << 20)
        assert store.checkpointer is not None and store.checkpointer.checkpoints > 0
    assert store.checkpointer is None  # stopped with the store


def test_an_in_memory_store_has_no_checkpointer() -> None:
    with open_store("sqlite://", background_checkpoints_s=0.05) as store:
        assert store.checkpointer is None
