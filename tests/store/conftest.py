"""Store test helpers; the database fixtures (db_url, store) live in tests/conftest_db.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from store import Store

_NOT_STATEMENTS = ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE")


class StatementLog:
    """The SQL statements a store's connections run, seen at the database driver, so those the
    matcher sends past SQLAlchemy (``store.bulk``) count too. Transaction control and
    pragmas and the pool's pings are not statements here. Filled only while ``capturing``."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.capturing = True

    def add(self, statement: str) -> None:
        text = statement.strip()
        # ";" is SQLAlchemy's connection ping (pool_pre_ping), not the code's statement.
        if self.capturing and text != ";" and not text.upper().startswith(_NOT_STATEMENTS):
            self.statements.append(text)

    def selects(self) -> list[str]:
        return [s for s in self.statements if s.upper().startswith(("SELECT", "WITH"))]

    def writes(self) -> list[str]:
        return [s for s in self.statements if s.upper().startswith(("INSERT", "UPDATE", "DELETE"))]

    def clear(self) -> None:
        self.statements.clear()


def _logging_cursor(log: StatementLog) -> type:
    import psycopg

    class LoggingCursor(psycopg.Cursor):  # type: ignore[type-arg]
        def execute(self, query: Any, *args: Any, **kwargs: Any) -> Any:
            log.add(str(query))
            return super().execute(query, *args, **kwargs)

        def executemany(self, query: Any, *args: Any, **kwargs: Any) -> Any:
            log.add(str(query))
            return super().executemany(query, *args, **kwargs)

    return LoggingCursor


@pytest.fixture
def sql_log(store: Store) -> Iterator[StatementLog]:
    """Hooks every connection the store opens from now on: SQLite's trace callback (each
    statement the library runs, executemany rows included) or a psycopg cursor class that
    records each execute."""
    log = StatementLog()
    sqlite = store.dialect == "sqlite"
    cursor_class = None if sqlite else _logging_cursor(log)

    def hook(dbapi_conn: Any, _record: Any) -> None:
        if sqlite:
            dbapi_conn.set_trace_callback(log.add)
        else:
            dbapi_conn.cursor_factory = cursor_class

    event.listen(store.engine, "connect", hook)
    store.engine.dispose()  # pooled connections predate the hook
    yield log
    log.capturing = False
    event.remove(store.engine, "connect", hook)
