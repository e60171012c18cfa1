"""Database fixtures shared by every suite: each store-backed test runs on SQLite and on a real
PostgreSQL.

The PostgreSQL server is started once per test session (tests/pg_server.py installs it with
apt-get if it is missing and we are root); each test gets a fresh database on it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from store import Store, migrate, open_store
from tests.pg_server import PostgresServer, PostgresUnavailable, ensure_installed


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    try:
        bindir = ensure_installed()
    except PostgresUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {exc}")
        pytest.skip(str(exc))
    server = PostgresServer(bindir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'entrywatch.db'}"
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    name = f"t_{uuid.uuid4().hex[:16]}"
    server.create_database(name)
    try:
        yield server.url(name)
    finally:
        server.drop_database(name)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    migrate(db_url)
    with open_store(db_url) as s:
        yield s
