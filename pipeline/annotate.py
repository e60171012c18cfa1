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
    for row, tid in enumerate(tracked.ids.tolist()):
        x1, y1, x2, y2 = (int(v) for v in tracked.xyxy[row])
        colour = _IN if line.has_crossed(tid) else _BOX
        cv2.rectangle(out, (x1, y1), (x2, y2), colour, 2)
        text = f"#{tid} {labels.get(tid, '')}".strip()
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.6, 2)
        cv2.rectangle(out, (x1, max(0, y1 - th - 8)), (x1 + tw + 6, y1), colour, -1)
        cv2.putText(out, text, (x1 + 3, y1 - 5), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 2)
    entries, exits = counts
    cv2.putText(out, f"in {entries}  out {exits}", (20, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0, _IN, 2)
    return out


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
