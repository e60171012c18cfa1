"""Drawing for annotated replays: boxes, track ids, the entry line, plate text.

Kept apart from counting (processor.py) so drawing never changes what is counted.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from detectors.detections import Detections
from pipeline.entry_line import EntryLine

_IN = (60, 200, 60)
_OUT = (60, 140, 240)
_BOX = (255, 200, 0)


def draw(
    image: np.ndarray,
    tracked: Detections,
    line: EntryLine,
    labels: dict[int, str],
    counts: tuple[int, int],
) -> np.ndarray:
    out = image.copy()
    start = tuple(int(v) for v in line.start)
    end = tuple(int(v) for v in line.end)
    cv2.line(out, start, end, (0, 0, 255), 3)
    _inbound_arrow(out, line)
    for row, tid in enumerate(tracked.ids.tolist()):
        x1, y1, x2, y2 = (int(v) for v in tracked.xyxy[row])
        colour = _IN if line.has_crossed(tid) else _BOX
        cv2.rectangle(out, (x1, y1), (x2, y2), colour, 2)
        text = f"#{tid} {labels.get(tid, '')}".strip()
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.6, 2)
        cv2.rectangle(out, (x1, max(0, y1 - th - 8)), (x1 + tw + 6, y1), colour, -1)
        cv2.putText(out, text, (x1 + 3, y1 - 5), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 2)
    entries, exits = counts
    for text, y, colour in ((f"in {entries}", 40, _IN), (f"out {exits}", 80, _OUT)):
        cv2.putText(out, text, (20, y), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 5)
        cv2.putText(out, text, (20, y), cv2.FONT_HERSHEY_SIMPLEX, 1.0, colour, 2)
    return out


def inbound_normal(line: EntryLine) -> tuple[float, float]:
    """Unit vector from the line towards its inbound side (image coordinates, y down)."""
    dx, dy = line.end[0] - line.start[0], line.end[1] - line.start[1]
    length = float(np.hypot(dx, dy)) or 1.0
    # (-dy, dx) is on the right of start -> end when y grows downwards.
    nx, ny = -dy / length, dx / length
    return (nx, ny) if line.inbound_side == "right" else (-nx, -ny)


def _inbound_arrow(image: np.ndarray, line: EntryLine) -> None:
    """An arrow across the middle of the line pointing to the inside, labelled IN."""
    nx, ny = inbound_normal(line)
    size = max(40, min(image.shape[:2]) // 8)
    mx, my = (line.start[0] + line.end[0]) / 2, (line.start[1] + line.end[1]) / 2
    tail = (int(mx - nx * size * 0.4), int(my - ny * size * 0.4))
    head = (int(mx + nx * size), int(my + ny * size))
    cv2.arrowedLine(image, tail, head, (0, 0, 0), 9, tipLength=0.35)
    cv2.arrowedLine(image, tail, head, _IN, 5, tipLength=0.35)
    label = (head[0] + 8, head[1] + (20 if ny > 0 else -8))
    cv2.putText(image, "IN", label, cv2.FONT_HERSHEY_SIMPLEX, 0.9, (0, 0, 0), 5)
    cv2.putText(image, "IN", label, cv2.FONT_HERSHEY_SIMPLEX, 0.9, _IN, 2)


class AnnotatedWriter:
    """An mp4 writer opened lazily on the first frame (its size is known only then)."""

    def __init__(self, path: str | Path, fps: float) -> None:
        self.path = Path(path)
        self.fps = fps
        self._writer: cv2.VideoWriter | None = None

    def write(self, image: np.ndarray) -> None:
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            h, w = image.shape[:2]
            fourcc = cv2.VideoWriter.fourcc(*"mp4v")
            self._writer = cv2.VideoWriter(str(self.path), fourcc, self.fps, (w, h))
            if not self._writer.isOpened():
                raise OSError(f"{self.path}: cannot open a video writer there")
        self._writer.write(image)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None
