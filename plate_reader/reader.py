"""Plate reading: detect plate boxes, OCR them, and keep the most plate-like read per box."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from plate_reader.crops import Box, crop, has_pixels, row_split, shrink_box
from plate_reader.formats import PlateFormat, get_profile
from plate_reader.fusion import Candidate, fuse
from plate_reader.ocr import BaseOCR, FusionOCR, OcrResult

if TYPE_CHECKING:
    from detectors.base import PlateDetector

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlateRead:
    """One plate read.

    ``text`` is normalised and repaired by the profile, ``raw`` is what the leading OCR back-end
    returned, ``box`` is in the input image's pixels. ``confidence`` is the fused OCR confidence
    times a detection factor (``0.5 + 0.5 * detector confidence``; 1 for ``read_crop``), so a
    confident read of a doubtful box ranks below a confident read of a sure one. ``sources``
    names the back-ends that read ``text``.
    """

    text: str
    raw: str
    confidence: float
    box: tuple[float, float, float, float]
    valid: bool
    display: str
    two_line: bool
    sources: tuple[str, ...] = ()


# Shrink variants tried on every box for line OCR (RapidOCR), (dx, dy) per side: the detector's
# boxes are loose, and general OCR reads the frame and small print as text. On the openalpr US
# photos: one variant 82.0% exact, these two 85.6%, adding the unshrunk box 85.1% (and slower).
DEFAULT_SHRINKS: tuple[tuple[float, float], ...] = ((0.03, 0.10), (0.06, 0.16))
# The trained recogniser learnt on loose detector-like boxes: it reads the box as found, and
# one lightly shrunk variant for boxes looser than it saw.
ROW_READER_SHRINKS: tuple[tuple[float, float], ...] = ((0.0, 0.0), (0.03, 0.10))


class PlateReader:
    """Finds and reads plates in a whole image or a vehicle crop.

    ``read`` returns the reads most confident first. Models load on first use, so a reader that
    only calls ``read_crop`` never loads the detector.
    """

    def __init__(
        self,
        detector: PlateDetector | None = None,
        ocr: BaseOCR | None = None,  # default: the trained recogniser fused with RapidOCR
        profile: PlateFormat | str = "generic",
        *,
        max_plates: int = 3,
        shrinks: tuple[tuple[float, float], ...] = DEFAULT_SHRINKS,
        fallback_imgsz: int | None = 1280,
        two_line_aspect: float = 2.2,
    ) -> None:
        self._detector = detector
        self._ocr = ocr
        self.profile = get_profile(profile) if isinstance(profile, str) else profile
        self.max_plates = max_plates
        self.shrinks = shrinks
        self.fallback_imgsz = fallback_imgsz
        self.two_line_aspect = two_line_aspect

    @property
    def detector(self) -> PlateDetector:
        if self._detector is None:
            from detectors.plate import YoloPlateDetector

            self._detector = YoloPlateDetector()
        return self._detector

    @property
    def ocr(self) -> BaseOCR:
        if self._ocr is None:
            from plate_reader.ocr import make_ocr

            self._ocr = make_ocr("fusion")
        return self._ocr

    @property
    def model_name(self) -> str:
        return self.ocr.model_name

    # -- public ----------------------------------------------------------------------------

    def read(
        self,
        image: np.ndarray,
        *,
        imgsz: int | None = None,
        fallback: bool = True,
        max_plates: int | None = None,
    ) -> list[PlateRead]:
        """Plates in ``image``, best first.

        For a vehicle crop in a video loop pass a small ``imgsz`` (the crop is small, and the
        detector's cost grows with the square of it), ``fallback=False`` (the track is read
        again on a later frame anyway) and ``max_plates=1``.
        """
        if not has_pixels(image):
            return []  # an empty or degenerate image holds no plate (and YOLO would raise)
        reads = self._read_boxes(image, imgsz=imgsz, max_plates=max_plates or self.max_plates)
        if fallback and self.fallback_imgsz and not any(r.valid for r in reads):
            # Small plates vanish at 640; a second, larger pass only for images that gave nothing.
            reads = _merge(
                reads,
                self._read_boxes(
                    image, imgsz=self.fallback_imgsz, max_plates=max_plates or self.max_plates
                ),
            )
        return _distinct(sorted(reads, key=self._rank, reverse=True))

    def read_crop(self, plate_crop: np.ndarray) -> PlateRead | None:
        if not has_pixels(plate_crop):
            return None
        h, w = plate_crop.shape[:2]
        return self._read_box(plate_crop, (0.0, 0.0, float(w), float(h)), 1.0, tight=True)

    # -- internals ---------------------------------------------------------------------------

    def _rank(self, read: PlateRead) -> float:
        return self.profile.score(read.text) * read.confidence

    def _read_boxes(self, image: np.ndarray, imgsz: int | None, max_plates: int) -> list[PlateRead]:
        detections = self.detector.detect(image, imgsz=imgsz)
        order = np.argsort(-detections.confidence)[:max_plates]
        reads: list[PlateRead] = []
        for i in order:
            box = tuple(float(v) for v in detections.xyxy[i])
            read = self._read_box(image, box, float(detections.confidence[i]))  # type: ignore[arg-type]
            if read is not None:
                reads.append(read)
        return reads

    def _read_box(
        self, image: np.ndarray, box: Box, det_confidence: float, tight: bool = False
    ) -> PlateRead | None:
        fused = fuse(self._candidates(image, box, tight), self.profile)
        if fused is None:
            return None
        log.debug("box %s -> %s from %s", box, fused.text, fused.sources)
        return PlateRead(
            text=fused.text,
            raw=fused.raw,
            confidence=float(fused.confidence * (0.5 + 0.5 * det_confidence)),
            box=box,
            valid=self.profile.is_valid(fused.text),
            display=self.profile.display(fused.text, two_line=fused.two_line),
            two_line=bool(fused.two_line),
            sources=fused.sources,
        )

    def _members(self) -> tuple[BaseOCR, ...]:
        ocr = self.ocr
        return ocr.members if isinstance(ocr, FusionOCR) else (ocr,)

    def _candidates(self, image: np.ndarray, box: Box, tight: bool) -> list[Candidate]:
        candidates: list[Candidate] = []
        for member in self._members():
            if member.reads_rows:
                shrinks = ((0.0, 0.0),) if tight else ROW_READER_SHRINKS
                candidates += self._read_whole(member, image, box, shrinks)
            else:
                shrinks = ((0.0, 0.0), (0.03, 0.10)) if tight else self.shrinks
                candidates += self._read_lines(member, image, box, shrinks)
        return [c for c in candidates if c.text]

    def _read_whole(
        self, ocr: BaseOCR, image: np.ndarray, box: Box, shrinks: tuple[tuple[float, float], ...]
    ) -> list[Candidate]:
        """A back-end that reads both rows of a plate itself: each crop once, as it is."""
        crops = [p for dx, dy in shrinks if (p := crop(image, shrink_box(box, dx, dy))).size]
        results = ocr.predict_many(crops) if crops else []
        # Rows are not split here, so the box's shape is the hint for the display form.
        return [
            self._candidate(r, ocr.model_name, two_line=self._maybe_two_line(piece))
            for piece, r in zip(crops, results, strict=True)
            if r is not None
        ]

    def _read_lines(
        self, ocr: BaseOCR, image: np.ndarray, box: Box, shrinks: tuple[tuple[float, float], ...]
    ) -> list[Candidate]:
        """A line reader: each crop as one line, and a two-row crop also row by row."""
        crops: list[np.ndarray] = []
        rows: list[tuple[np.ndarray, np.ndarray]] = []
        for dx, dy in shrinks:
            piece = crop(image, shrink_box(box, dx, dy))
            if piece.size == 0:
                continue
            crops.append(piece)
            if self._maybe_two_line(piece):
                split = row_split(piece)
                if split is not None:
                    rows.append((piece[:split], piece[split:]))
        flat = crops + [part for pair in rows for part in pair]
        if not flat:
            return []
        results = ocr.predict_many(flat)
        one_line = results[: len(crops)]
        two_line = results[len(crops) :]
        name = ocr.model_name
        candidates = [self._candidate(r, name, two_line=False) for r in one_line if r is not None]
        for top, bottom in zip(two_line[0::2], two_line[1::2], strict=True):
            if top is not None and bottom is not None:
                joined = OcrResult(
                    f"{top.text} {bottom.text}", min(top.confidence, bottom.confidence)
                )
                candidates.append(self._candidate(joined, name, two_line=True))
        return candidates

    def _maybe_two_line(self, piece: np.ndarray) -> bool:
        h, w = piece.shape[:2]
        return self.profile.two_line_possible and h > 0 and w / h < self.two_line_aspect

    def _candidate(self, result: OcrResult, source: str, two_line: bool | None) -> Candidate:
        norm = self.profile.normalise(result.text)
        text = self.profile.repair(norm)
        # Per-character confidences follow the raw text: keep those of the characters that
        # normalising keeps; repairs keep the length, so they then line up with ``text``.
        confs = result.char_confidences
        if len(confs) == len(result.text):
            confs = tuple(c for ch, c in zip(result.text, confs, strict=True) if ch.isalnum())
        if len(confs) != len(text):
            confs = ()
        return Candidate(text, result.text, result.confidence, confs, two_line, source)


def _merge(first: list[PlateRead], second: list[PlateRead]) -> list[PlateRead]:
    """Reads of both passes, dropping second-pass reads of a box the first pass already read."""
    merged = list(first)
    for read in second:
        if all(_iou(read.box, other.box) < 0.5 for other in first):
            merged.append(read)
    return merged


def _distinct(ranked: list[PlateRead]) -> list[PlateRead]:
    """Drop reads of a box that a better-ranked read already covers (the detector can return
    two overlapping boxes for one plate)."""
    kept: list[PlateRead] = []
    for read in ranked:
        if all(_iou(read.box, other.box) < 0.5 for other in kept):
            kept.append(read)
    return kept


def _iou(a: Box, b: Box) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
