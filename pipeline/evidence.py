"""Evidence images (plate crops, vehicle snapshots) saved beside the events that cite them.

An evidence id is a relative path under the evidence root made only of safe
characters, so the API can serve ``/evidence/{id}`` without ever touching a path a
client chose.
"""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np

_SAFE = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*\.jpg$")


class EvidenceStore:
    def __init__(self, root: str | Path, jpeg_quality: int = 90) -> None:
        self.root = Path(root)
        self.jpeg_quality = jpeg_quality

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

    def path_for(self, evidence_id: str) -> Path:
        """Resolve an evidence id to a file under the root; ValueError if it is not one."""
        if not _SAFE.match(evidence_id) or ".." in evidence_id.split("/"):
            raise ValueError(f"not an evidence id: {evidence_id!r}")
        path = (self.root / evidence_id).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"not an evidence id: {evidence_id!r}")
        return path
