"""Opening a live stream and reading it into a queue, apart from inference.

Only every ``detect.every``-th frame is converted to an image and queued (the rest are grabbed
and skipped: decoding must go on for the codec, but costs no colour conversion and no queue
slot). The frame index keeps counting every decoded frame, so the processor's clock stays true
even when frames are dropped.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import cv2

from pipeline.frames import Frame
from pipeline.probe import redact_url
from pipeline.sources import stream_fps
from pipeline.worker.frame_queue import DropOldestQueue
from pipeline.worker.health import CameraHealth

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EndOfSession:
    """Queued (never dropped) when a stream session ends: finish its tracks."""

    session: int
    reason: str


@dataclass(frozen=True)
class QueuedFrame:
    session: int
    fps: float
    frame: Frame


def capture_session(
    cap: cv2.VideoCapture,
    *,
    url: str,
    camera_id: str,
    session: int,
    stride: int,
    queue: DropOldestQueue[QueuedFrame | EndOfSession],
    health: CameraHealth,
    stop: threading.Event,
) -> str:
    """Read ``cap`` until the stream ends or ``stop``; return why it ended."""
    fps = stream_fps(cap)
    safe = redact_url(url)
    index = 0
    try:
        while not stop.is_set():
            if not cap.grab():
                return f"{safe}: stream ended after {index} frames"
            health.frame_captured()
            if index % stride == 0:
                ok, image = cap.retrieve()
                if not ok or image is None:
                    return f"{safe}: frame {index} could not be decoded"
                frame = Frame(camera_id, index, time.time(), image, safe)
                queue.put(QueuedFrame(session, fps, frame))
            index += 1
        return "stopped"
    finally:
        cap.release()
