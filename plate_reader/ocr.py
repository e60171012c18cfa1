"""OCR back-ends behind one method: ``predict(crop) -> OcrResult | None``.

Implementations import their heavy libraries lazily (in ``__init__`` or on first use), so importing
this module costs nothing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from detectors.runtime import RuntimeOptions


@dataclass(frozen=True)
class OcrResult:
    """Text read from one crop and the recogniser's confidence in it (0..1)."""

    text: str
    confidence: float
    # Per-character confidences in ``text`` order, where the back-end gives them (empty if not).
    char_confidences: tuple[float, ...] = ()


class BaseOCR(ABC):
    """Reads the text of an already cropped BGR plate image.

    ``reads_rows`` says whether the back-end reads a two-line plate as one image (the trained
    recogniser does); for the others the reader also passes each row on its own.
    """

    model_name: str = "ocr"
    reads_rows: bool = False

    @abstractmethod
    def predict(self, crop: np.ndarray) -> OcrResult | None:
        """The text on ``crop``, or None when nothing was read."""

    def predict_many(self, crops: list[np.ndarray]) -> list[OcrResult | None]:
        """Read several crops; back-ends that can batch override this."""
        return [self.predict(crop) for crop in crops]


class FusionOCR(BaseOCR):
    """Several back-ends read every crop; ``PlateReader`` fuses their reads with the plate
    profile (``plate_reader.fusion``). Alone, ``predict`` returns the most confident read."""

    model_name = "fusion"
    reads_rows = True

    def __init__(self, members: tuple[BaseOCR, ...]) -> None:
        if not members:
            raise ValueError("a fusion needs at least one OCR back-end")
        self.members = members
        self.model_name = "+".join(m.model_name for m in members)

    def predict(self, crop: np.ndarray) -> OcrResult | None:
        reads = [r for m in self.members if (r := m.predict(crop)) is not None]
        return max(reads, key=lambda r: r.confidence, default=None)


OCR_NAMES = ("fusion", "crnn", "rapidocr", "easyocr")
DEFAULT_OCR = "fusion"
OCR_HELP = (
    "Plate recogniser: fusion (the trained recogniser and RapidOCR, the default), crnn (the "
    "trained recogniser alone), rapidocr or easyocr."
)


def make_ocr(name: str, threads: int | None = 1, runtime: RuntimeOptions | None = None) -> BaseOCR:
    """Build an OCR back-end by name.

    "fusion" (the default: the trained recogniser and RapidOCR, fused), "crnn" (the trained
    recogniser alone), "rapidocr" or "easyocr". ``threads`` per model session: 1 in the worker,
    where cameras share the cores; None (one per core) for a one-off read. ``runtime``: the
    engine the detectors run on, which RapidOCR's model follows (``plate_reader.ocr_rapid``).
    """
    key = name.strip().lower()
    if key == "fusion":
        return FusionOCR((make_ocr("crnn", threads), make_ocr("rapidocr", threads, runtime)))
    if key == "crnn":
        from plate_reader.recogniser import PlateRecogniser

        return PlateRecogniser(threads=threads)
    if key == "rapidocr":
        from plate_reader.ocr_rapid import RapidOcr

        return RapidOcr(threads=threads, runtime=runtime)
    if key == "easyocr":
        from plate_reader.ocr_easy import EasyOcr

        return EasyOcr()
    raise ValueError(f"unknown OCR back-end {name!r}; known: {', '.join(OCR_NAMES)}")


def _usable(crop: np.ndarray) -> bool:
    return crop.ndim >= 2 and crop.shape[0] >= 4 and crop.shape[1] >= 4
