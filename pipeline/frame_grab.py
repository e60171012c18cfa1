"""One frame of a source with a labelled pixel grid, so an entry line can be read off the
picture (``entrywatch frame``), and the frame size of a source (line validation at start).
"""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from pipeline.sources import ImageFolderSource, SourceError, StreamSource, open_source

_GRID = (0, 255, 255)
_GRID_MAJOR = (0, 200, 255)


def grab_frame(uri: str, at_s: float = 0.0) -> np.ndarray:
    """The frame ``at_s`` seconds into a file, an image folder (at 1 image/s) or a live stream
    (``at_s`` seconds after it opens); :class:`SourceError` when there is none."""
    if at_s < 0:
        raise SourceError(f"{uri}: --at must be 0 or more seconds, not {at_s}")
    source = open_source(uri)
    if isinstance(source, StreamSource):
        deadline = time.monotonic() + at_s
        for frame in source:
            if time.monotonic() >= deadline:
                return frame.image
        raise SourceError(f"{source.end.reason or uri}: no frame {at_s} s in")
    if isinstance(source, ImageFolderSource):
        wanted = int(at_s * source.fps)
        for frame in source:
            if frame.index >= wanted:
                return frame.image
        raise SourceError(
            f"{uri}: {source.frame_count} images (1 per second): nothing at {at_s} s; "
            f"use --at 0 to {max(0, source.frame_count - 1)}"
        )
    return _file_frame(source.uri, source.fps, at_s)


def _file_frame(path: str, fps: float, at_s: float) -> np.ndarray:
    # Our own capture with a seek: iterating the source would read every frame before it and
    # report the early stop as a truncated file.
    cap = cv2.VideoCapture(path, cv2.CAP_FFMPEG)
    try:
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        wanted = round(at_s * fps)
        if wanted:
            cap.set(cv2.CAP_PROP_POS_FRAMES, wanted)
        ok, image = cap.read()
    finally:
        cap.release()
    if not ok or image is None:
        length = f"{count / fps:.1f} s long" if count > 0 else "shorter than that"
        raise SourceError(f"{path}: the clip is {length}: no frame at {at_s} s")
    return np.asarray(image)


def frame_size(uri: str) -> tuple[int, int]:
    """(width, height) of the first frame of a file or image folder."""
    image = grab_frame(uri, 0.0)
    height, width = image.shape[:2]
    return width, height


def grid_step(width: int, height: int) -> int:
    """A round pixel spacing that gives about 10-20 grid lines across the longer side."""
    longer = max(width, height)
    for step in (10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if longer / step <= 20:
            return step
    return 2000


def draw_grid(image: np.ndarray) -> np.ndarray:
    """``image`` with a pixel grid labelled in pixels, every fifth line stronger, and the frame
    size written in the corner."""
    out = image.copy()
    height, width = out.shape[:2]
    step = grid_step(width, height)
    scale = max(0.4, min(width, height) / 1600)
    thick = 1 if scale < 0.8 else 2
    for x in range(0, width, step):
        major = (x // step) % 5 == 0
        cv2.line(out, (x, 0), (x, height - 1), _GRID_MAJOR if major else _GRID, 2 if major else 1)
        _label(out, str(x), (x + 3, int(18 * scale / 0.5)), scale, thick)
    for y in range(0, height, step):
        major = (y // step) % 5 == 0
        cv2.line(out, (0, y), (width - 1, y), _GRID_MAJOR if major else _GRID, 2 if major else 1)
        if y:
            _label(out, str(y), (3, y - 4), scale, thick)
    _label(out, f"{width}x{height} px", (width // 2, height - 12), scale * 1.5, thick + 1)
    return out


def _label(image: np.ndarray, text: str, at: tuple[int, int], scale: float, thick: int) -> None:
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(image, text, at, font, scale, (0, 0, 0), thick + 2, cv2.LINE_AA)
    cv2.putText(image, text, at, font, scale, (255, 255, 255), thick, cv2.LINE_AA)


def write_grid_frame(uri: str, out: Path, at_s: float = 0.0) -> tuple[int, int]:
    """Write the gridded frame ``at_s`` into ``uri`` to ``out``; return (width, height)."""
    image = grab_frame(uri, at_s)
    height, width = image.shape[:2]
    out.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(out), draw_grid(image)):
        raise SourceError(f"{out}: cannot write an image there (use a .png or .jpg name)")
    return width, height
