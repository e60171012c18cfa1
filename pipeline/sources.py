"""Frame sources: a recorded video file, a folder of images, or an ``rtsp://`` stream.

All three yield the same :class:`~pipeline.frames.Frame`. Errors that stop a source
from opening raise :class:`SourceError` with the path and the reason; trouble in the
middle (a truncated file, a dropped stream, an unreadable image in a folder) ends or
skips with a warning, keeps every frame read so far, and is recorded in
:attr:`Source.end`.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from pipeline.frames import Frame
from pipeline.images import ImageTooLarge, check_pixels, max_pixels
from pipeline.probe import diagnose, redact_url

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mkv", ".mov", ".m4v", ".webm", ".ts"})
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})
STREAM_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://")
# A stream that does not say its frame rate is taken to run at this one.
STREAM_FALLBACK_FPS = 10.0

_OPEN_LOCK = threading.Lock()  # OPENCV_FFMPEG_CAPTURE_OPTIONS is process-wide


class SourceError(RuntimeError):
    """A source that cannot be opened, with what was wrong."""


@dataclass
class SourceEnd:
    """How a source finished: ``complete`` or not, and where it stopped."""

    complete: bool = True
    frames_read: int = 0
    frames_expected: int | None = None
    reason: str = ""
    skipped: int = 0


class Source:
    """Base for frame sources: iterate to get frames; ``end`` says how it finished."""

    uri: str
    camera_id: str
    fps: float

    def __init__(self) -> None:
        self.end = SourceEnd()

    def __iter__(self) -> Iterator[Frame]:
        raise NotImplementedError

    @property
    def frame_count(self) -> int | None:
        """Frames expected, when the container says; ``None`` for live streams."""
        return None


def _open_capture(uri: str) -> cv2.VideoCapture:
    cap = cv2.VideoCapture(uri, cv2.CAP_FFMPEG)
    return cap


def open_stream(
    url: str, *, transport: str = "tcp", open_timeout_s: float = 10.0, read_timeout_s: float = 5.0
) -> cv2.VideoCapture:
    """An opened live capture, or :class:`SourceError` with why (from an RTSP probe).

    The timeouts go in with the open, so they bound the open itself; ``transport`` (tcp or udp)
    applies to RTSP.
    """
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


def stream_fps(cap: cv2.VideoCapture) -> float:
    """The frame rate a live capture reports, or ``STREAM_FALLBACK_FPS`` when it says none."""
    fps = cap.get(cv2.CAP_PROP_FPS)
    return float(fps) if fps and 0 < fps < 1000 else STREAM_FALLBACK_FPS


class VideoFileSource(Source):
    """A recorded video file decoded frame by frame with OpenCV/FFmpeg."""

    def __init__(self, path: str | Path, camera_id: str) -> None:
        super().__init__()
        self.path = Path(path)
        self.uri = str(self.path)
        self.camera_id = camera_id
        if not self.path.exists():
            raise SourceError(f"{self.path}: no such file")
        if self.path.is_dir():
            raise SourceError(f"{self.path}: is a folder, not a video (folders are read as images)")
        if self.path.stat().st_size == 0:
            raise SourceError(f"{self.path}: file is empty")
        try:
            with self.path.open("rb") as fh:
                fh.read(1)
        except OSError as exc:
            raise SourceError(f"{self.path}: cannot be read ({exc.strerror})") from exc
        cap = _open_capture(self.uri)
        ok, first = cap.read() if cap.isOpened() else (False, None)
        if not ok or first is None:
            cap.release()
            raise SourceError(
                f"{self.path}: not a video OpenCV/FFmpeg can decode "
                "(wrong format, or damaged beyond its header)"
            )
        self._cap = cap
        self._first: np.ndarray | None = first
        fps = cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if fps and 0 < fps < 1000 else 25.0
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self._count = count if count > 0 else None
        self.end.frames_expected = self._count

    @property
    def frame_count(self) -> int | None:
        return self._count

    def __iter__(self) -> Iterator[Frame]:
        cap, index = self._cap, 0
        try:
            image = self._first
            self._first = None
            while image is not None:
                yield Frame(self.camera_id, index, index / self.fps, image, self.uri)
                index += 1
                ok, image = cap.read()
                if not ok:
                    image = None
        finally:
            cap.release()
            self._finish(index)

    def _finish(self, read: int) -> None:
        self.end.frames_read = read
        expected = self._count
        # Containers round their frame count; a shortfall of one or two is not damage.
        if expected is not None and read < expected - 2:
            self.end.complete = False
            self.end.reason = (
                f"{self.path}: stopped at frame {read} of {expected}: "
                "the file is truncated or damaged there; frames before it were used"
            )
            log.warning(self.end.reason)


class ImageFolderSource(Source):
    """Every image in a folder (sorted by name) as consecutive frames at ``fps``."""

    def __init__(self, folder: str | Path, camera_id: str, fps: float = 1.0) -> None:
        super().__init__()
        self.folder = Path(folder)
        self.uri = str(self.folder)
        self.camera_id = camera_id
        self.fps = fps
        if not self.folder.is_dir():
            raise SourceError(f"{self.folder}: no such folder")
        self._files = sorted(p for p in self.folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self._files:
            raise SourceError(
                f"{self.folder}: no images in it (looked for {', '.join(sorted(IMAGE_SUFFIXES))})"
            )
        self.end.frames_expected = len(self._files)

    @property
    def frame_count(self) -> int:
        return len(self._files)

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        limit = max_pixels()
        for path in self._files:
            try:
                check_pixels(path, limit)
            except ImageTooLarge as exc:
                self.end.skipped += 1
                log.warning("%s, skipped", exc)
                continue
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is None:
                self.end.skipped += 1
                log.warning("%s: not a readable image, skipped", path)
                continue
            yield Frame(self.camera_id, index, index / self.fps, image, str(path))
            index += 1
        self.end.frames_read = index
        if self.end.skipped:
            self.end.complete = False
            self.end.reason = f"{self.folder}: {self.end.skipped} unreadable image(s) skipped"


class StreamSource(Source):
    """A live stream (RTSP and friends). Timestamps are the wall clock at decode.

    This source ends when the stream drops; reconnecting is the worker's job, so that
    the policy (backoff, health reporting) lives in one place.
    """

    def __init__(
        self,
        url: str,
        camera_id: str,
        open_timeout_s: float = 10.0,
        *,
        transport: str = "tcp",
        read_timeout_s: float = 5.0,
    ) -> None:
        super().__init__()
        self.uri = url
        self.camera_id = camera_id
        try:
            self._cap = open_stream(
                url,
                transport=transport,
                open_timeout_s=open_timeout_s,
                read_timeout_s=read_timeout_s,
            )
        except SourceError as exc:
            safe = redact_url(url)
            why = str(exc).removeprefix(f"{safe}: ")
            raise SourceError(f"{safe}: stream could not be opened ({why})") from None
        self.fps = stream_fps(self._cap)

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        try:
            while True:
                ok, image = self._cap.read()
                if not ok or image is None:
                    self.end.complete = False
                    self.end.reason = f"{redact_url(self.uri)}: stream ended after {index} frames"
                    log.warning(self.end.reason)
                    break
                yield Frame(self.camera_id, index, time.time(), image, redact_url(self.uri))
                index += 1
        finally:
            self._cap.release()
            self.end.frames_read = index


def open_source(uri: str | Path, camera_id: str | None = None, image_fps: float = 1.0) -> Source:
    """Open ``uri`` as the right kind of source; raise :class:`SourceError` if it can't be."""
    text = str(uri)
    if text.lower().startswith(STREAM_SCHEMES):
        return StreamSource(text, camera_id or "stream")
    path = Path(text)
    cam = camera_id or path.stem or "camera"
    if path.is_dir():
        return ImageFolderSource(path, cam, fps=image_fps)
    if path.exists() and path.suffix.lower() not in VIDEO_SUFFIXES:
        raise SourceError(
            f"{path}: not a video file (expected one of {', '.join(sorted(VIDEO_SUFFIXES))}, "
            "a folder of images, or an rtsp:// URL)"
        )
    return VideoFileSource(path, cam)
