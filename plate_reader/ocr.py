"""OCR back-ends behind one method: ``predict(crop) -> OcrResult | None``.

Implementations import their heavy libraries lazily (in ``__init__`` or on first use), so importing
this module costs nothing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class OcrResult:
    """Text read from one crop and the recogniser's confidence in it (0..1)."""

    text: str
    confidence: float


class BaseOCR(ABC):
    """Reads one line of text from an already cropped BGR image."""

    @abstractmethod
    def predict(self, crop: np.ndarray) -> OcrResult | None:
        """The text on ``crop``, or None when nothing was read."""

    def predict_many(self, crops: list[np.ndarray]) -> list[OcrResult | None]:
        """Read several crops; back-ends that can batch override this."""
        return [self.predict(crop) for crop in crops]


def make_ocr(name: str) -> BaseOCR:
    """Build an OCR back-end by name: "rapidocr" (default in the pipeline) or "easyocr"."""
    key = name.strip().lower()
    if key == "rapidocr":
        from plate_reader.ocr_rapid import RapidOcr

        return RapidOcr()
    if key == "easyocr":
        from plate_reader.ocr_easy import EasyOcr

        return EasyOcr()
    raise ValueError(f"unknown OCR back-end {name!r}; known: easyocr, rapidocr")


def _usable(crop: np.ndarray) -> bool:
    return crop.ndim >= 2 and crop.shape[0] >= 4 and crop.shape[1] >= 4
