"""Store test helpers; the database fixtures (db_url, store) live in tests/conftest_db.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import event

from pipeline.store import Store


class StatementLog:
    """Counts the SQL statements an engine runs (BEGIN/COMMIT are not statements here)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements.append(statement)

    def selects(self) -> list[str]:
        return [s for s in self.statements if s.lstrip().upper().startswith("SELECT")]

    def clear(self) -> None:
        self.statements.clear()


@pytest.fixture
def sql_log(store: Store) -> Iterator[StatementLog]:
    log = StatementLog()
    event.listen(store.engine, "before_cursor_execute", log)
    yield log
    event.remove(store.engine, "before_cursor_execute", log)
