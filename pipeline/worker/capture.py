"""Opening a live stream and reading it into a queue, apart from inference.

Only every ``detect_every``-th frame is converted to an image and queued (the rest are grabbed
and skipped: decoding must go on for the codec, but costs no colour conversion and no queue
slot). The frame index keeps counting every decoded frame, so the processor's clock stays true
even when frames are dropped.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass

import cv2

from pipeline.frames import Frame
from pipeline.sources import SourceError, redact_url
from pipeline.worker.frame_queue import DropOldestQueue
from pipeline.worker.health import CameraHealth
from pipeline.worker.probe import diagnose

log = logging.getLogger(__name__)

_OPEN_LOCK = threading.Lock()  # OPENCV_FFMPEG_CAPTURE_OPTIONS is process-wide


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


def open_stream(
    url: str, *, transport: str, open_timeout_s: float, read_timeout_s: float
) -> cv2.VideoCapture:
    """An opened capture, or :class:`SourceError` with why (from an RTSP probe)."""
    params = [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
        int(open_timeout_s * 1000),
        cv2.CAP_PROP_READ_TIMEOUT_MSEC,
        int(read_timeout_s * 1000),
    ]
    with _OPEN_LOCK:
        previous = os.environ.get("OPENCV_FFMPEG_CAPTURE_OPTIONS")
        if url.lower().startswith("rtsp"):
            os.environ["OPENCV_FFMPEG_CAPTURE_OPTIONS"] = f"rtsp_transport;{transport}"
        try:
            cap = cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)
        finally:
            if previous is None:
                os.environ.pop("OPENCV_FFMPEG_CAPTURE_OPTIONS", None)
            else:
                os.environ["OPENCV_FFMPEG_CAPTURE_OPTIONS"] = previous
    if not cap.isOpened():
        cap.release()
        raise SourceError(diagnose(url, timeout_s=min(3.0, open_timeout_s)))
    return cap


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
    fps = cap.get(cv2.CAP_PROP_FPS)
    fps = float(fps) if fps and 0 < fps < 1000 else 10.0
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
