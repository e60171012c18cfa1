"""The worker's parts without models or streams: queue, backoff, probe, health, reload plan."""

from __future__ import annotations

import random
import socket
import threading
import time
from pathlib import Path

import pytest

from pipeline.config import (
    CameraConfig,
    CamerasFile,
    ConfigError,
    DetectOptions,
    LineConfig,
    load_cameras,
)
from pipeline.probe import diagnose
from pipeline.worker.backoff import Backoff
from pipeline.worker.frame_queue import DropOldestQueue
from pipeline.worker.health import CameraHealth
from pipeline.worker.metrics import CameraCollector
from pipeline.worker.supervisor import Supervisor


def test_queue_drops_oldest_frames_and_keeps_control_items() -> None:
    q: DropOldestQueue[str] = DropOldestQueue(2)
    assert q.put("f1") and q.put("f2")
    q.put("end", droppable=False)
    assert not q.put("f3")  # full: f1 goes
    assert not q.put("f4")  # f2 goes; the end marker stays
    assert q.dropped == 2
    assert [q.get(0), q.get(0), q.get(0)] == ["end", "f3", "f4"]
    assert q.get(0.01) is None


def test_backoff_is_exponential_capped_and_jittered() -> None:
    b = Backoff(1.0, 8.0, rng=random.Random(1))
    delays = [b.next_delay() for _ in range(6)]
    for d, base in zip(delays, [1, 2, 4, 8, 8, 8], strict=True):
        assert base / 2 <= d <= base
    assert len({round(d, 3) for d in delays[3:]}) == 3  # jitter: not in step
    b.reset()
    assert b.next_delay() <= 1.0
    stop = threading.Event()
    stop.set()
    assert b.wait(stop)  # returns at once when stopping


def test_probe_names_a_server_that_is_down() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    reason = diagnose(f"rtsp://u:topsecret@127.0.0.1:{port}/x")
    assert "connection refused" in reason and "topsecret" not in reason and "u:***@" in reason


def test_health_status_ok_stale_error() -> None:
    h = CameraHealth("c", "k", stale_after_s=0.2)
    h.connect_failed("rtsp://h/x: credentials refused (401 Unauthorized)")
    snap = h.snapshot(0, 0)
    assert snap.status == "error" and "401" in (snap.error or "")
    h.frame_captured()
    assert h.snapshot(0, 0).status == "ok"
    time.sleep(0.3)
    snap = h.snapshot(3, 1)
    assert snap.status == "stale" and snap.frames_dropped == 3
    assert set(snap.store_fields()) >= {"camera_id", "status", "error", "fps", "reconnects"}
    h.stopped = True
    assert h.snapshot(0, 0).status == "stopped"


def test_metrics_expose_per_camera_series() -> None:
    h = CameraHealth("cam-1", "K", stale_after_s=10)
    h.frame_captured()
    families = {m.name: m for m in CameraCollector(lambda: [h.snapshot(5, 1)]).collect()}
    dropped = families["entrywatch_camera_frames_dropped"].samples[0]
    assert dropped.labels == {"camera": "cam-1"} and dropped.value == 5
    assert families["entrywatch_camera_up"].samples[0].value == 1.0


def _cam(cid: str, port: int, **kw: object) -> CameraConfig:
    line = LineConfig(start=(0, 440), end=(1280, 425), inbound_side="right")
    return CameraConfig(
        camera_id=cid,
        checkpoint="K",
        source=f"rtsp://127.0.0.1:{port}/{cid}",
        line=line,
        **kw,  # type: ignore[arg-type]
    )


class _NoModels:
    ocr_name = "none"

    def for_camera(self, region: str) -> tuple[object, object]:  # never reached: no frames
        raise AssertionError("no frames expected")


class _NoSink:
    def flush(self) -> None:
        pass


def test_reload_restarts_only_changed_cameras() -> None:
    port = 9  # discard port: refused at once, so cameras back off without models or frames
    sup = Supervisor(_NoModels(), _NoSink(), stop_timeout_s=5)  # type: ignore[arg-type]
    try:
        sup.apply(CamerasFile(cameras=[_cam("a", port), _cam("b", port), _cam("c", port)]))
        a, b = sup.workers["a"], sup.workers["b"]
        plan = sup.apply(
            CamerasFile(
                cameras=[
                    _cam("a", port),
                    _cam("b", port, detect=DetectOptions(every=3)),
                    _cam("d", port),
                ]
            )
        )
        assert plan == {"added": ["d"], "changed": ["b"], "removed": ["c"], "unchanged": ["a"]}
        assert sup.workers["a"] is a and sup.workers["b"] is not b
        assert b.stop_event.is_set() and not a.stop_event.is_set()
        snaps = {s.camera_id: s for s in sup.report()}
        assert set(snaps) == {"a", "b", "d"}
    finally:
        sup.stop_all()
    assert all(s.status == "stopped" for s in sup.latest)


def test_stream_options_are_validated(tmp_path: Path) -> None:
    path = tmp_path / "cams.yaml"
    path.write_text(
        "cameras:\n  - camera_id: a\n    checkpoint: K\n    source: rtsp://h/x\n"
        "    line: {start: [0, 0], end: [10, 0], inbound_side: right}\n"
        "    stream: {reconnect_min_s: 5, reconnect_max_s: 1}\n"
    )
    with pytest.raises(ConfigError) as err:
        load_cameras(path)
    assert "cameras.0.stream.reconnect_max_s" in str(err.value)
    assert "at least reconnect_min_s" in str(err.value) and str(path) in str(err.value)


class _FakeProcessor:
    def __init__(self) -> None:
        self.frames: list[int] = []

    def process(self, frame: object) -> list[object]:
        self.frames.append(frame.index)  # type: ignore[attr-defined]
        return []

    def finish(self) -> list[object]:
        return [f"pending-after-{self.frames[-1]}"]


class _ListSink:
    def __init__(self) -> None:
        self.events: list[object] = []

    def publish(self, event: object) -> None:
        self.events.append(event)

    def flush(self) -> None:
        pass


def test_stop_finishes_tracks_in_flight_and_publishes_them() -> None:
    import numpy as np

    from pipeline.frames import Frame
    from pipeline.worker.camera import CameraWorker
    from pipeline.worker.capture import EndOfSession, QueuedFrame

    sink = _ListSink()
    worker = CameraWorker(_cam("a", 9), _NoModels(), sink)  # type: ignore[arg-type]
    fakes: list[_FakeProcessor] = []

    def new_processor(item: object) -> _FakeProcessor:
        fakes.append(_FakeProcessor())
        return fakes[-1]

    worker._new_processor = new_processor  # type: ignore[method-assign]
    image = np.zeros((4, 4, 3), np.uint8)
    for session, index in ((1, 0), (1, 2)):
        worker.queue.put(QueuedFrame(session, 10.0, Frame("a", index, time.time(), image, "s")))
    worker.queue.put(EndOfSession(1, "stream ended"), droppable=False)  # a drop: session 1 ends
    worker.queue.put(QueuedFrame(2, 10.0, Frame("a", 0, time.time(), image, "s")))
    worker.queue.put(QueuedFrame(2, 10.0, Frame("a", 4, time.time(), image, "s")))
    worker.start()
    time.sleep(0.3)
    assert worker.stop(timeout=10)  # SIGTERM path: stop capture, drain, finish, publish
    assert [f.frames for f in fakes] == [[0, 2], [0, 4]]
    assert sink.events == ["pending-after-2", "pending-after-4"]
    assert worker.health.entries == 2


def test_health_is_written_to_camera_status(tmp_path: Path) -> None:
    from sqlalchemy import select

    from pipeline.worker.status_store import StatusWriter
    from store.db import migrate, open_store
    from store.models import CameraStatus

    url = f"sqlite:///{tmp_path / 'ew.db'}"
    migrate(url)
    writer = StatusWriter(url)
    h = CameraHealth("cam-1", "CP-1", stale_after_s=10)
    h.connect_failed("rtsp://u:***@h/x: credentials refused (401 Unauthorized)")
    writer.write([h.snapshot(0, 0)])
    h.frame_captured()
    h.connected(first=False)
    writer.write([h.snapshot(4, 0)])
    writer.close()
    with open_store(url) as store, store.session() as s:
        row = s.execute(select(CameraStatus)).scalar_one()
    assert (row.camera_id, row.checkpoint, row.status, row.error) == ("cam-1", "CP-1", "ok", None)
    assert row.frames_dropped == 4 and row.reconnects == 1 and row.last_frame_at is not None


def test_missing_secret_is_a_camera_error_not_a_crash() -> None:
    from pipeline.worker.camera import CameraWorker

    cam = _cam("a", 9).model_copy(update={"source": "rtsp://u:${EW_TEST_UNSET_PW}@127.0.0.1:9/x"})
    worker = CameraWorker(cam, _NoModels(), _ListSink())  # type: ignore[arg-type]
    worker.start()
    assert worker.stop(timeout=5)
    snap = worker.snapshot()
    assert snap.status == "stopped" and "EW_TEST_UNSET_PW, not set" in (snap.error or "")
