"""API fixtures: the app over a real store (SQLite and PostgreSQL), keys of every role, flags made
by the real matcher, and a real uvicorn server for the stream and browser tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.auth import Role, create_key
from api.main import create_app
from api.settings import Settings
from matcher.local import InProcessMatcher
from pipeline.events import EntryEvent
from store import Store
from store.models import Flag
from tests.matcher.factories import make_event


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(
        db_url=db_url,
        evidence_root=tmp_path / "evidence",
        declare_rate_limit=1000,
        stream_poll_s=0.05,
        list_cache_s=0,  # tests/api/test_caches.py covers the caches
        auth_cache_s=0,
    )


@pytest.fixture
def app(settings: Settings, store: Store) -> FastAPI:
    return create_app(settings, store=store)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@dataclass(frozen=True)
class Keys:
    admin: str
    operator: str
    integrator: str
    ids: dict[str, int]

    def headers(self, role: str) -> dict[str, str]:
        return {"X-API-Key": getattr(self, role)}


def make_keys(store: Store) -> Keys:
    tokens: dict[str, str] = {}
    ids: dict[str, int] = {}
    with store.transaction() as session:
        for role in Role:
            row, token = create_key(session, f"{role.value}-user", role)
            tokens[role.value], ids[role.value] = token, row.id
    return Keys(**tokens, ids=ids)


@pytest.fixture
def keys(store: Store) -> Keys:
    return make_keys(store)


def flag_events(store: Store, *events: EntryEvent) -> list[int]:
    """Decide undeclared entries with the real matcher; returns the new flag ids."""
    InProcessMatcher(store).decide_batch(list(events))
    with store.session() as session:
        ids = session.scalars(
            select(Flag.id).where(Flag.event_id.in_([e.event_id for e in events])).order_by(Flag.id)
        )
        return list(ids)


def make_flags(store: Store, count: int = 1, **event_args: Any) -> list[int]:
    return flag_events(store, *(make_event(**event_args) for _ in range(count)))


class LiveServer:
    """The app under a real uvicorn on 127.0.0.1, in a thread."""

    def __init__(self, app: FastAPI) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            timeout_graceful_shutdown=1,
            access_log=False,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
