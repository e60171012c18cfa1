"""Alembic environment. ``store.migrate`` passes a live connection in
``config.attributes["connection"]``; the ``alembic`` CLI (alembic.ini at the repo root) passes a URL
through ``sqlalchemy.url`` or the ENTRYWATCH_DB_URL environment variable."""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from store.db import open_store
from store.models import Base

config = context.config
if config.config_file_name and "connection" not in config.attributes:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
target_metadata = Base.metadata


def _url() -> str:
    url = os.environ.get("ENTRYWATCH_DB_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: set ENTRYWATCH_DB_URL or sqlalchemy.url")
    return url


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    store = open_store(_url())
    try:
        with store.engine.begin() as conn:
            _run(conn)
    finally:
        store.close()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
