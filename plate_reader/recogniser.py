"""The trained plate recogniser: one plate crop in, its characters in reading order out.

A small CNN reads the grey crop (``INPUT_HEIGHT`` x ``INPUT_WIDTH``) into a 2 x 32 grid of
feature columns; the grid is read as one sequence, top row left to right then bottom row, by a
bidirectional GRU, and decoded with CTC. One-line plates are written in one row of the grid,
two-line plates in both, so no row splitting is needed in front of it (the layout-invariant idea
of Trinh et al. 2022). Trained on rendered plates only (``plate_reader.training``); the model
card beside the weights (``plate_reader/models/MODEL_CARD.md``) says on what and how well.

The ONNX file runs on onnxruntime alone; torch is needed only to train.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from plate_reader.crops import has_pixels
from plate_reader.ocr import BaseOCR, OcrResult

log = logging.getLogger(__name__)

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # CTC class 0 is the blank
INPUT_HEIGHT, INPUT_WIDTH = 64, 128
MODELS_DIR = Path(__file__).resolve().parent / "models"
DEFAULT_MODEL = MODELS_DIR / "plate_crnn.onnx"
# Crops smaller than this carry no readable characters: no read instead of a guess.
MIN_CROP_PX = 6


def resize_grey(crop: np.ndarray) -> np.ndarray:
    """A BGR or grey crop as a grey uint8 image of the network's input size."""
    grey = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    h, w = grey.shape[:2]
    shrink = h > INPUT_HEIGHT or w > INPUT_WIDTH
    return cv2.resize(
        grey,
        (INPUT_WIDTH, INPUT_HEIGHT),
        interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR,
    )


def standardise(grey: np.ndarray) -> np.ndarray:
    """Zero mean, unit spread per image (a floor on the spread keeps flat images flat).

    Per-crop standardisation takes out exposure (night, glare) so the network sees strokes.
    Works on one (H, W) image or a batch (N, H, W).
    """
    x = grey.astype(np.float32)
    axes = (-2, -1)
    x -= x.mean(axis=axes, keepdims=True)
    x /= np.maximum(x.std(axis=axes, keepdims=True), 8.0)
    return x


def preprocess(crop: np.ndarray) -> np.ndarray:
    """A BGR or grey crop as the network's input: float32 (1, H, W).

    Training stores ``resize_grey`` images and applies ``standardise`` per batch: the very
    functions used here, so the two never drift apart.
    """
    return standardise(resize_grey(crop))[None]


@dataclass(frozen=True)
class Decoded:
    text: str
    char_confidences: tuple[float, ...]


def ctc_decode(probs: np.ndarray) -> Decoded:
    """Greedy CTC decoding of one (T, classes) probability matrix.

    A character's confidence is the highest probability it had over the frames that emitted it.
    """
    best = probs.argmax(axis=1)
    chars: list[str] = []
    confs: list[float] = []
    previous = 0
    for t, k in enumerate(best):
        k = int(k)
        if k != 0 and k != previous:
            chars.append(ALPHABET[k - 1])
            confs.append(float(probs[t, k]))
        elif k != 0 and k == previous:
            confs[-1] = max(confs[-1], float(probs[t, k]))
        previous = k
    return Decoded("".join(chars), tuple(confs))


class PlateRecogniser(BaseOCR):
    """The trained CRNN behind ``BaseOCR``: ``predict(crop) -> OcrResult | None``.

    ``OcrResult.confidence`` is the mean of the per-character confidences (how RapidOCR scores
    too, so the two compare), and ``char_confidences`` carries them for fusion.
    """

    model_name = "plate_crnn"
    reads_rows = True

    def __init__(self, model: Path | str | None = None, threads: int | None = 1) -> None:
        import onnxruntime as ort

        from detectors import weights

        path = Path(weights.resolve(weights.RECOGNISER, str(model) if model else None))
        if not path.is_file():
            raise weights.WeightsNotFound(f"plate recogniser: {path} is not a weights file")
        options = ort.SessionOptions()
        # One thread: a crop is tiny, and the worker's detectors share the cores.
        options.intra_op_num_threads = threads or 0  # 0: one per core
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name
        self.path = path
        self.model_name = path.stem
        meta = path.with_suffix(".json")
        self.card: dict[str, Any] = json.loads(meta.read_text()) if meta.is_file() else {}

    def predict(self, crop: np.ndarray) -> OcrResult | None:
        return self.predict_many([crop])[0]

    def predict_many(self, crops: list[np.ndarray]) -> list[OcrResult | None]:
        results: list[OcrResult | None] = [None] * len(crops)
        usable = [i for i, crop in enumerate(crops) if has_pixels(crop, MIN_CROP_PX)]
        if not usable:
            return results
        batch = np.stack([preprocess(crops[i]) for i in usable])
        probs = self._session.run(None, {self._input: batch})[0]
        for i, p in zip(usable, probs, strict=True):
            decoded = ctc_decode(p)
            if decoded.text:
                conf = float(np.mean(decoded.char_confidences))
                results[i] = OcrResult(decoded.text, conf, decoded.char_confidences)
        return results
