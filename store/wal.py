"""Checkpointing a SQLite store's write-ahead log from a background thread.

SQLite copies the WAL back into the database file (a checkpoint) on the commit that finds the log
over 1,000 pages. For the matcher, every batch of entries dirties thousands of index pages (event
ids are random), so that was every commit: ~22 ms of a ~95 ms batch write on the writer's
critical path. A connection opened with ``wal_autocheckpoint=0`` leaves it to this thread, which
runs a PASSIVE checkpoint (it never blocks readers or the writer) every ``interval_s`` on its own
connection, in parallel with the next batch. Pages rewritten by several batches are copied once.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

log = logging.getLogger(__name__)


class WalCheckpointer:
    def __init__(self, database: str, interval_s: float) -> None:
        self._database = database
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self.checkpoints = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop after one last checkpoint, so a clean shutdown leaves the log copied back."""
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        connection = sqlite3.connect(self._database, check_same_thread=False)
        try:
            while not self._stop.wait(self._interval_s):
                self._checkpoint(connection)
            self._checkpoint(connection)
        finally:
            connection.close()

    def _checkpoint(self, connection: sqlite3.Connection) -> None:
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            self.checkpoints += 1
        except sqlite3.Error as exc:  # the next round tries again; the log only grows meanwhile
            log.warning("WAL checkpoint of %s failed: %s", self._database, exc)
