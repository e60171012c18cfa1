"""Per-camera health: counters the worker threads bump, and snapshots for metrics and the store.

Status: ``ok`` (frames arriving), ``stale`` (none for ``stale_after_s``; also while a stream has
never delivered), ``error`` (the last open failed, with the reason), ``stopped``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

Status = Literal["ok", "stale", "error", "stopped"]


@dataclass(frozen=True)
class HealthSnapshot:
    camera_id: str
    checkpoint: str
    status: Status
    error: str | None
    fps: float
    frames: int
    frames_processed: int
    frames_dropped: int
    reconnects: int
    connect_failures: int
    entries: int
    last_frame_at: datetime | None
    last_frame_age_s: float | None
    inference_ms: float
    lag_s: float
    queue_depth: int
    updated_at: datetime

    def store_fields(self) -> dict[str, Any]:
        """The ``camera_status`` row (``upsert_camera_status`` sets ``updated_at`` itself)."""
        return {
            "camera_id": self.camera_id,
            "checkpoint": self.checkpoint,
            "last_frame_at": self.last_frame_at,
            "fps": round(self.fps, 2),
            "frames_dropped": self.frames_dropped,
            "reconnects": self.reconnects,
            "inference_ms": round(self.inference_ms, 1),
            "status": self.status,
            "error": self.error,
        }


@dataclass
class CameraHealth:
    camera_id: str
    checkpoint: str
    stale_after_s: float
    frames: int = 0
    frames_processed: int = 0
    frames_dropped: int = 0
    reconnects: int = 0
    connect_failures: int = 0
    entries: int = 0
    error: str | None = None
    stopped: bool = False
    last_frame_wall: float | None = None
    inference_ms: float = 0.0
    lag_s: float = 0.0
    queue_depth: int = 0
    started_mono: float = field(default_factory=time.monotonic)
    _last_frame_mono: float | None = None
    _fps_mark: tuple[float, int] = (0.0, 0)
    _fps: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- bumped by the threads ---------------------------------------------------------------

    def frame_captured(self) -> None:
        with self._lock:
            self.frames += 1
            self.last_frame_wall = time.time()
            self._last_frame_mono = time.monotonic()
            self.error = None

    def frame_processed(self, inference_s: float, lag_s: float) -> None:
        with self._lock:
            self.frames_processed += 1
            ms = inference_s * 1000.0
            # Exponential moving average: recent cost, not the warm-up.
            self.inference_ms = (
                ms if self.frames_processed == 1 else 0.9 * self.inference_ms + 0.1 * ms
            )
            self.lag_s = lag_s

    def connect_failed(self, reason: str) -> None:
        with self._lock:
            self.connect_failures += 1
            self.error = reason

    def connected(self, first: bool) -> None:
        with self._lock:
            if not first:
                self.reconnects += 1

    def fault(self, reason: str) -> None:
        with self._lock:
            self.error = reason

    # -- read by the supervisor --------------------------------------------------------------

    def snapshot(self, dropped: int, queue_depth: int) -> HealthSnapshot:
        now_mono, now = time.monotonic(), datetime.now(UTC)
        with self._lock:
            self.frames_dropped = dropped
            self.queue_depth = queue_depth
            mark_t, mark_n = self._fps_mark
            if mark_t and now_mono - mark_t >= 0.5:
                self._fps = (self.frames - mark_n) / (now_mono - mark_t)
            if not mark_t or now_mono - mark_t >= 0.5:
                self._fps_mark = (now_mono, self.frames)
            since = (
                self._last_frame_mono if self._last_frame_mono is not None else self.started_mono
            )
            age = now_mono - since
            status: Status
            if self.stopped:
                status = "stopped"
            elif self.error and (self._last_frame_mono is None or age > self.stale_after_s):
                status = "error"
            elif age > self.stale_after_s:
                status = "stale"
            else:
                status = "ok"
            return HealthSnapshot(
                camera_id=self.camera_id,
                checkpoint=self.checkpoint,
                status=status,
                error=self.error
                if status in ("error", "stopped")
                else (f"no frame for {age:.0f} s" if status == "stale" else None),
                fps=self._fps,
                frames=self.frames,
                frames_processed=self.frames_processed,
                frames_dropped=dropped,
                reconnects=self.reconnects,
                connect_failures=self.connect_failures,
                entries=self.entries,
                last_frame_at=datetime.fromtimestamp(self.last_frame_wall, UTC)
                if self.last_frame_wall
                else None,
                last_frame_age_s=age if self._last_frame_mono is not None else None,
                inference_ms=self.inference_ms,
                lag_s=self.lag_s,
                queue_depth=queue_depth,
                updated_at=now,
            )
