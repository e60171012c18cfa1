"""Helpers for the API benchmarks: a store seeded with many flags, the API under uvicorn in its
own process (as deployed), and latency summaries."""

from __future__ import annotations

import contextlib
import itertools
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from api.auth import Role, create_key
from pipeline.events import (
    EntryEvent,
    PlateInfo,
    SoftwareInfo,
    SourcePosition,
    VehicleInfo,
    make_event_id,
)
from store import Store, migrate, open_store
from store.models import Entry, Flag, FlagAudit, table_of

ROOT = Path(__file__).resolve().parent.parent
_tracks = itertools.count(1)


def event(
    plate: str, crossed_at: datetime, camera: str = "cam-1", session: str = "bench"
) -> EntryEvent:
    track = next(_tracks)
    return EntryEvent(
        event_id=make_event_id(camera, session, track, "inbound"),
        camera_id=camera,
        checkpoint=f"CP-{camera}",
        direction="inbound",
        crossed_at=crossed_at,
        plate=PlateInfo(
            readable=True,
            normalised=plate,
            display=plate,
            confidence=0.95,
            format_valid=True,
            region="vn",
            reads=5,
        ),
        vehicle=VehicleInfo(
            vehicle_class="car", confidence=0.9, box=(0, 0, 10, 10), track_id=track
        ),
        source=SourcePosition(
            kind="stream", uri="rtsp://cam", session_id=session, frame_index=1, media_time_s=0.1
        ),
        software=SoftwareInfo(version="bench", vehicle_model="m", plate_model="p", ocr="o"),
    )


def seed_flags(
    store: Store, count: int, chunk: int = 5000, priority_of: Callable[[int], int] | None = None
) -> None:
    """``count`` undeclared entries with open flags (and their "opened" audit rows), fast.
    Every flag has priority 2 unless ``priority_of`` gives the i-th flag's."""
    start = datetime.now(UTC) - timedelta(days=7)
    template = event("75A00000", start).model_dump(mode="json")
    done = 0
    while done < count:
        n = min(chunk, count - done)
        entries, flags = [], []
        for i in range(done, done + n):
            at = start + timedelta(seconds=6 * i)
            event_id = f"bench-{i:09d}"
            plate = f"{11 + i % 89}A{i % 100000:05d}"
            entries.append(
                {
                    "event_id": event_id,
                    "camera_id": f"cam-{i % 40}",
                    "checkpoint": f"CP-{i % 8}",
                    "direction": "inbound",
                    "crossed_at": at,
                    "plate_normalised": plate,
                    "plate_display": plate,
                    "confidence": 0.9,
                    "readable": True,
                    "format_valid": True,
                    "event": {**template, "event_id": event_id},
                    "received_at": at,
                }
            )
            flags.append(
                {
                    "event_id": event_id,
                    "reason": "undeclared",
                    "status": "open",
                    "priority": 2 if priority_of is None else priority_of(i),
                    "created_at": at,
                    "updated_at": at,
                }
            )
        with store.transaction() as session:
            session.execute(table_of(Entry).insert(), entries)
            ids = (
                session.execute(
                    table_of(Flag)
                    .insert()
                    .returning(table_of(Flag).c.id, sort_by_parameter_order=True),
                    flags,
                )
                .scalars()
                .all()
            )
            session.execute(
                table_of(FlagAudit).insert(),
                [
                    {"flag_id": fid, "action": "opened", "actor": "system", "at": start}
                    for fid in ids
                ],
            )
        done += n
    if store.dialect == "postgresql":
        with store.engine.begin() as conn:  # committed: a rolled-back ANALYZE keeps no statistics
            conn.exec_driver_sql("ANALYZE")


def operator_key(store: Store) -> str:
    with store.transaction() as session:
        _row, token = create_key(session, "bench", Role.OPERATOR)
    return token


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def api_process(db_url: str, workers: int = 1, **env: str) -> Iterator[str]:
    """The API under uvicorn in a child process; yields its base URL."""
    port = free_port()
    environ = {**os.environ, "ENTRYWATCH_DB_URL": db_url, **env}
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "api.main:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        "--workers",
        str(workers),
        "--timeout-graceful-shutdown",
        "1",
        "--no-proxy-headers",  # as `entrywatch serve` runs it: X-Forwarded-For not believed
    ]
    proc = subprocess.Popen(cmd, env=environ, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the API server did not start")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextlib.contextmanager
def bench_store(kind: str, workdir: Path) -> Iterator[tuple[str, Store]]:
    """A fresh migrated store: SQLite in ``workdir`` or a throwaway PostgreSQL server."""
    if kind == "sqlite":
        workdir.mkdir(parents=True, exist_ok=True)
        path = workdir / "bench.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
        migrate(url)
        with open_store(url) as store:
            yield url, store
        return
    from tests.pg_server import PostgresServer, ensure_installed

    with PostgresServer(ensure_installed()) as server:
        server.create_database("bench")
        url = server.url("bench")
        migrate(url)
        with open_store(url) as store:
            yield url, store


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    data = sorted(samples_ms)
    if not data:
        return {}

    def pct(p: float) -> float:
        return round(data[min(len(data) - 1, round(p / 100 * (len(data) - 1)))], 2)

    return {
        "n": len(data),
        "p50": pct(50),
        "p90": pct(90),
        "p99": pct(99),
        "max": round(data[-1], 2),
    }
