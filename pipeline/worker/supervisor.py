"""Runs the cameras of one config: start, stop, reload (only changed cameras), health rounds."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from pipeline.config import CameraConfig, CamerasFile
from pipeline.worker.camera import CameraWorker
from pipeline.worker.health import HealthSnapshot
from pipeline.worker.models import SharedModels
from pipeline.worker.sink import EventSink

log = logging.getLogger(__name__)

HealthListener = Callable[[list[HealthSnapshot]], None]


class Supervisor:
    def __init__(
        self,
        models: SharedModels,
        sink: EventSink,
        *,
        evidence: object | None = None,
        listeners: Iterable[HealthListener] = (),
        stop_timeout_s: float = 30.0,
    ) -> None:
        self.models = models
        self.sink = sink
        self.evidence = evidence
        self.listeners = list(listeners)
        self.stop_timeout_s = stop_timeout_s
        self.workers: dict[str, CameraWorker] = {}
        self.latest: list[HealthSnapshot] = []
        self._lock = threading.Lock()
        self._last_status: dict[str, str] = {}

    # -- cameras ------------------------------------------------------------------------------

    def apply(self, config: CamerasFile) -> dict[str, list[str]]:
        """Make the running cameras match ``config``: start new, restart changed, stop removed.

        Unchanged cameras keep running untouched (their streams and tracks stay as they are).
        """
        wanted = {c.camera_id: c for c in config.cameras if c.enabled}
        with self._lock:
            current = dict(self.workers)
        removed = [cid for cid in current if cid not in wanted]
        changed = [cid for cid, c in wanted.items() if cid in current and current[cid].camera != c]
        added = [cid for cid in wanted if cid not in current]
        unchanged = [cid for cid in wanted if cid in current and cid not in changed]
        self._stop([current[cid] for cid in removed + changed])
        with self._lock:
            for cid in removed + changed:
                self.workers.pop(cid, None)
        if removed:  # their last word: "stopped" in metrics consumers and camera_status
            self._notify([current[cid].snapshot() for cid in removed])
        for cid in changed + added:
            self._start(wanted[cid])
        plan = {"added": added, "changed": changed, "removed": removed, "unchanged": unchanged}
        log.info(
            "cameras: %s",
            ", ".join(f"{k} {len(v)} ({' '.join(v)})" if v else f"{k} 0" for k, v in plan.items()),
        )
        return plan

    def _start(self, camera: CameraConfig) -> None:
        worker = CameraWorker(camera, self.models, self.sink, evidence=self.evidence)
        with self._lock:
            self.workers[camera.camera_id] = worker
        worker.start()

    def _stop(self, workers: list[CameraWorker]) -> None:
        for w in workers:  # all at once, then wait: stopping is as slow as the slowest camera
            w.request_stop()
        for w in workers:
            w.join(self.stop_timeout_s)

    def stop_all(self) -> None:
        with self._lock:
            workers = list(self.workers.values())
        log.info("stopping %d camera(s): finishing tracks in flight", len(workers))
        self._stop(workers)
        self.report()
        self.sink.flush()

    # -- health -------------------------------------------------------------------------------

    def report(self) -> list[HealthSnapshot]:
        """Take every camera's snapshot, log status changes, hand them to the listeners."""
        with self._lock:
            workers = list(self.workers.values())
        snaps = [w.snapshot() for w in workers]
        self.latest = snaps
        for s in snaps:
            before = self._last_status.get(s.camera_id)
            if before != s.status:
                level = logging.WARNING if s.status in ("stale", "error") else logging.INFO
                log.log(
                    level,
                    "camera %s: %s%s",
                    s.camera_id,
                    s.status,
                    f" ({s.error})" if s.error else "",
                )
                self._last_status[s.camera_id] = s.status
        self._notify(snaps)
        return snaps

    def _notify(self, snaps: list[HealthSnapshot]) -> None:
        for listener in self.listeners:
            try:
                listener(snaps)
            except Exception:
                log.exception("health listener failed")
