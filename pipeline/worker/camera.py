"""One camera: a capture thread and an inference thread, a bounded queue, a stop event.

The capture thread connects (backing off exponentially, with jitter, while the stream is down or
refuses), reads frames into the queue and, when a stream session ends, queues an end marker.
The inference thread runs each session through its own :class:`CameraProcessor` (a new session
after a reconnect: the tracker does not bridge a gap of unknown length) and, at the end marker or
on stop, finishes the tracks in flight and publishes their entries. Nothing a camera does raises
out of its threads: errors go to its health and the log, and other cameras never see them.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

from pipeline.config import CameraConfig, ConfigError
from pipeline.events import EntryEvent
from pipeline.probe import redact_url
from pipeline.processor import CameraProcessor
from pipeline.sources import SourceError, open_stream
from pipeline.worker.backoff import Backoff
from pipeline.worker.capture import EndOfSession, QueuedFrame, capture_session
from pipeline.worker.frame_queue import DropOldestQueue
from pipeline.worker.health import CameraHealth, HealthSnapshot
from pipeline.worker.models import SharedModels
from pipeline.worker.sink import EventSink

log = logging.getLogger(__name__)


class CameraWorker:
    def __init__(
        self,
        camera: CameraConfig,
        models: SharedModels,
        sink: EventSink,
        evidence: object | None = None,
    ) -> None:
        self.camera = camera
        self.models = models
        self.sink = sink
        self.evidence = evidence
        opts = camera.stream
        self.stop_event = threading.Event()
        self.queue: DropOldestQueue[QueuedFrame | EndOfSession] = DropOldestQueue(opts.max_queue)
        self.health = CameraHealth(camera.camera_id, camera.checkpoint, opts.stale_after_s)
        self.backoff = Backoff(opts.reconnect_min_s, opts.reconnect_max_s)
        self._capture = threading.Thread(
            target=self._capture_loop, name=f"capture-{camera.camera_id}", daemon=True
        )
        self._infer = threading.Thread(
            target=self._infer_loop, name=f"infer-{camera.camera_id}", daemon=True
        )
        self._capture_done = threading.Event()

    @property
    def camera_id(self) -> str:
        return self.camera.camera_id

    def start(self) -> None:
        log.info("camera %s: starting (%s)", self.camera_id, redact_url(self.camera.source))
        self._capture.start()
        self._infer.start()

    def request_stop(self) -> None:
        self.stop_event.set()

    def join(self, timeout: float = 30.0) -> bool:
        """Wait for both threads; True when they ended (tracks finished, entries published)."""
        deadline = time.monotonic() + timeout
        self._capture.join(max(0.0, deadline - time.monotonic()))
        self._infer.join(max(0.0, deadline - time.monotonic()))
        alive = self._capture.is_alive() or self._infer.is_alive()
        if alive:
            log.warning("camera %s: threads still running after %.0f s", self.camera_id, timeout)
        self.health.stopped = True
        return not alive

    def stop(self, timeout: float = 30.0) -> bool:
        self.request_stop()
        return self.join(timeout)

    def snapshot(self) -> HealthSnapshot:
        return self.health.snapshot(self.queue.dropped, len(self.queue))

    # -- capture thread ------------------------------------------------------------------------

    def _capture_loop(self) -> None:
        opts = self.camera.stream
        session = 0
        try:
            url = self.camera.resolved_source()
        except ConfigError as exc:
            self._give_up(str(exc))
            return
        safe = redact_url(url)
        try:
            while not self.stop_event.is_set():
                try:
                    cap = open_stream(
                        url,
                        transport=opts.transport,
                        open_timeout_s=opts.open_timeout_s,
                        read_timeout_s=opts.read_timeout_s,
                    )
                except SourceError as exc:
                    self.health.connect_failed(str(exc))
                    log.error("camera %s: %s", self.camera_id, exc)
                    if self.backoff.wait(self.stop_event):
                        break
                    continue
                session += 1
                self.health.connected(first=session == 1)
                self.backoff.reset()
                log.info(
                    "camera %s: %s %s",
                    self.camera_id,
                    "connected to" if session == 1 else "reconnected to",
                    safe,
                )
                reason = capture_session(
                    cap,
                    url=url,
                    camera_id=self.camera_id,
                    session=session,
                    stride=self.camera.detect.every,
                    queue=self.queue,
                    health=self.health,
                    stop=self.stop_event,
                )
                self.queue.put(EndOfSession(session, reason), droppable=False)
                if self.stop_event.is_set():
                    break
                self.health.fault(reason)
                log.warning("camera %s: %s; reconnecting", self.camera_id, reason)
                if self.backoff.wait(self.stop_event):
                    break
        except Exception as exc:  # a bug must not take the other cameras down
            log.exception("camera %s: capture failed", self.camera_id)
            self.health.fault(f"capture failed: {exc!r}")
        finally:
            self._capture_done.set()

    def _give_up(self, reason: str) -> None:
        self.health.connect_failed(reason)
        log.error("camera %s: %s", self.camera_id, reason)
        self._capture_done.set()

    # -- inference thread ----------------------------------------------------------------------

    def _new_processor(self, item: QueuedFrame) -> CameraProcessor:
        detector, reader = self.models.for_camera(self.camera.region)
        return CameraProcessor(
            self.camera,
            detector,
            reader,
            fps=item.fps,
            session_id=f"live-{int(time.time())}-{uuid.uuid4().hex[:8]}",
            source_kind="stream",
            source_uri=item.frame.source,
            evidence=self.evidence,  # type: ignore[arg-type]
            ocr_name=self.models.ocr_name,
        )

    def _publish(self, events: list[EntryEvent]) -> None:
        for event in events:
            try:
                self.sink.publish(event)
                self.health.entries += 1
            except Exception as exc:
                log.error(
                    "camera %s: publishing entry %s failed: %s", self.camera_id, event.event_id, exc
                )
                self.health.fault(f"publish failed: {exc}")

    def _infer_loop(self) -> None:
        processor: CameraProcessor | None = None
        session = 0
        while True:
            item = self.queue.get(timeout=0.2)
            if item is None:
                if self._capture_done.is_set() and not len(self.queue):
                    break
                continue
            try:
                if isinstance(item, EndOfSession):
                    if processor is not None and item.session == session:
                        self._publish(processor.finish())
                        processor = None
                    continue
                if processor is None or item.session != session:
                    if processor is not None:
                        self._publish(processor.finish())
                    processor, session = self._new_processor(item), item.session
                t0 = time.perf_counter()
                events = processor.process(item.frame)
                spent = time.perf_counter() - t0
                self.health.frame_processed(spent, time.time() - item.frame.timestamp)
                self._publish(events)
            except Exception as exc:  # one bad frame or bug: log, restart the session's state
                log.exception("camera %s: processing failed", self.camera_id)
                self.health.fault(f"processing failed: {exc!r}")
                processor = None
        if processor is not None:
            try:
                self._publish(processor.finish())
            except Exception:
                log.exception("camera %s: finishing tracks failed", self.camera_id)
        log.debug("camera %s: threads ended", self.camera_id)
