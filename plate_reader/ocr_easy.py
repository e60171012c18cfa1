"""EasyOCR recognition on a plate crop, with offline weights."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from plate_reader.ocr import BaseOCR, OcrResult, _usable

log = logging.getLogger(__name__)

# Plates carry only these; the allow-list keeps EasyOCR from reading punctuation and lower case.
_ALLOW = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-. "


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    path = Path(base) / "entrywatch" / "easyocr"
    path.mkdir(parents=True, exist_ok=True)
    return path


class EasyOcr(BaseOCR):
    """EasyOCR's recogniser only (``reader.recognize``) on the whole crop.

    ``readtext`` (with CRAFT detection) returned other text on the plate (state names, slogans) or
    split the line, so the crop is recognised as one box and the pieces joined.
    """

    model_name = "easyocr-en"

    def __init__(self, model_dir: str | None = None, languages: tuple[str, ...] = ("en",)) -> None:
        import easyocr

        from detectors import weights

        self._reader: Any = easyocr.Reader(
            list(languages),
            gpu=False,
            download_enabled=False,
            model_storage_directory=model_dir or weights.resolve(weights.EASYOCR_MODELS),
            user_network_directory=str(_cache_dir()),
            verbose=False,
        )

    def predict(self, crop: np.ndarray) -> OcrResult | None:
        if not _usable(crop):
            return None
        import cv2

        gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
        h, w = gray.shape[:2]
        pieces = self._reader.recognize(
            gray,
            horizontal_list=[[0, w, 0, h]],
            free_list=[],
            allowlist=_ALLOW,
            detail=1,
        )
        if not pieces:
            return None
        text = "".join(str(p[1]) for p in pieces)
        confidence = float(np.mean([float(p[2]) for p in pieces]))
        return OcrResult(text, confidence) if text.strip() else None
