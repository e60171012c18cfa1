"""Evidence images (full frames, plate crops, vehicle snapshots) saved beside the events that cite
them.

An evidence id is a relative path under the evidence root made only of safe
characters, so the API can serve ``/evidence/{id}`` without ever touching a path a
client chose.

What is kept of a crossing: the full frame (its longer side at most ``frame_max_px``, for the
vehicle and plate boxes an operator sees it in), the vehicle snapshot, and the plate crop upscaled
at least ``PLATE_MIN_UPSCALE`` times and to at least ``plate_height_px`` tall: a raw crop is often
50x11 px, too small to read on a screen.
"""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np

from pipeline.config import EvidenceOptions

_SAFE = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*\.jpg$")

PLATE_MIN_UPSCALE = 3.0
# An upscaled plate crop stays at most this wide (a wide crop of a close plate needs no help).
PLATE_MAX_WIDTH_PX = 1024

Box = tuple[int, int, int, int]


def frame_scale(shape: tuple[int, ...], max_px: int) -> float:
    """The factor (at most 1) that brings an image's longer side to ``max_px``."""
    longer = max(shape[:2])
    return min(1.0, max_px / longer) if longer else 1.0


def scale_box(box: Box | tuple[float, ...], scale: float) -> Box:
    x1, y1, x2, y2 = (float(v) for v in box)
    return (round(x1 * scale), round(y1 * scale), round(x2 * scale), round(y2 * scale))


def shrink_frame(image: np.ndarray, max_px: int) -> tuple[np.ndarray, float]:
    """A copy of ``image`` with its longer side at most ``max_px``, and the factor applied."""
    scale = frame_scale(image.shape, max_px)
    if scale >= 1.0:
        return image.copy(), 1.0
    h, w = image.shape[:2]
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), scale


def upscale_plate(crop: np.ndarray, min_height_px: int) -> np.ndarray:
    """The plate crop enlarged at least 3x and to ``min_height_px`` tall (bicubic), no wider than
    ``PLATE_MAX_WIDTH_PX`` unless 3x itself is wider."""
    h, w = crop.shape[:2]
    if h == 0 or w == 0:
        return crop
    scale = max(PLATE_MIN_UPSCALE, min_height_px / h)
    scale = max(PLATE_MIN_UPSCALE, min(scale, PLATE_MAX_WIDTH_PX / w))
    size = (round(w * scale), round(h * scale))
    return cv2.resize(crop, size, interpolation=cv2.INTER_CUBIC)


class EvidenceStore:
    def __init__(
        self,
        root: str | Path,
        jpeg_quality: int = 85,
        *,
        frame_max_px: int = 1280,
        plate_height_px: int = 96,
    ) -> None:
        self.root = Path(root)
        self.jpeg_quality = jpeg_quality
        self.frame_max_px = frame_max_px
        self.plate_height_px = plate_height_px

    @classmethod
    def from_options(cls, root: str | Path, options: EvidenceOptions) -> EvidenceStore:
        return cls(
            root,
            options.jpeg_quality,
            frame_max_px=options.frame_max_px,
            plate_height_px=options.plate_height_px,
        )

    def save(self, camera_id: str, event_id: str, kind: str, image: np.ndarray) -> str | None:
        """Write ``image`` as JPEG and return its evidence id (None for an empty image)."""
        if image is None or image.size == 0:
            return None
        evidence_id = f"{camera_id}/{event_id}-{kind}.jpg"
        path = self.root / evidence_id
        path.parent.mkdir(parents=True, exist_ok=True)
        ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
        if not ok:
            return None
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data.tobytes())
        tmp.replace(path)  # readers never see half a file
        return evidence_id

    def save_plate(self, camera_id: str, event_id: str, crop: np.ndarray) -> str | None:
        """The plate crop, upscaled to a readable size."""
        if crop is None or crop.size == 0:
            return None
        return self.save(camera_id, event_id, "plate", upscale_plate(crop, self.plate_height_px))

    def save_frame(self, camera_id: str, event_id: str, image: np.ndarray) -> str | None:
        """The full frame (already shrunk by ``shrink_frame`` where the caller keeps it)."""
        if image is None or image.size == 0:
            return None
        small, _ = shrink_frame(image, self.frame_max_px)
        return self.save(camera_id, event_id, "frame", small)

    def path_for(self, evidence_id: str) -> Path:
        """Resolve an evidence id to a file under the root; ValueError if it is not one."""
        if not _SAFE.match(evidence_id) or ".." in evidence_id.split("/"):
            raise ValueError(f"not an evidence id: {evidence_id!r}")
        path = (self.root / evidence_id).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"not an evidence id: {evidence_id!r}")
        return path

    def has_images(self) -> bool:
        """Whether the root holds at least one evidence image (a camera folder with a JPEG)."""
        try:
            return any(True for _ in self.root.glob("*/*.jpg"))
        except OSError:
            return False
