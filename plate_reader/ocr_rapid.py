"""RapidOCR (PP-OCR ONNX) recognition only: the plate detector already found the text line."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np

from plate_reader.ocr import BaseOCR, OcrResult, _usable

if TYPE_CHECKING:
    from detectors.runtime import RuntimeOptions

log = logging.getLogger(__name__)


class RapidOcr(BaseOCR):
    """RapidOCR 3.x with detection and angle classification off.

    Detection is off on purpose: on small plate crops it split the line into pieces. The
    recogniser resizes to 48 px height itself, so crops are passed as they are.

    The recognition model runs where the detectors run (``runtime``, see ``detectors.runtime``):
    on OpenVINO where it is installed, in bf16 on CPUs with AMX, where it reads a plate about
    twice as fast as onnxruntime's fp32 and as accurately (docs/BENCHMARKS.md); on the
    configured GPU providers; else in RapidOCR's own onnxruntime session.
    """

    model_name = "rapidocr-ppocr-rec"

    def __init__(
        self,
        params: dict[str, Any] | None = None,
        threads: int | None = 1,
        runtime: RuntimeOptions | None = None,
    ) -> None:
        from rapidocr import RapidOCR

        settings: dict[str, Any] = {
            "Global.use_det": False,
            "Global.use_cls": False,
            "Global.use_rec": True,
            "Global.log_level": "warning",
            # One thread in the worker: crops are tiny, and on 2 shared cores (YOLO runs beside
            # it) more threads thrash: 2 crops took 90 ms with the default, 50 ms with one.
            # A one-off read (``entrywatch read``) has the cores to itself and asks for them.
            "EngineConfig.onnxruntime.intra_op_num_threads": threads or -1,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
        settings.update(params or {})
        self.threads = threads
        self._runtime = runtime
        self._engine = RapidOCR(params=settings)
        self._rec: Any = None
        self.engine = "onnxruntime"

    def _recogniser(self) -> Any:
        if self._rec is None:
            self._rec = self._engine._load_rec_model()
            self._move_to_runtime(self._rec)
        return self._rec

    def _move_to_runtime(self, rec: Any) -> None:
        """Run the recognition model on ``runtime``'s engine when that is OpenVINO, or on its
        providers when they are not just the CPU (a GPU); else keep RapidOCR's own session."""
        from dataclasses import replace

        from detectors.runtime import CPU, RuntimeOptions

        runtime = self._runtime or RuntimeOptions()
        if runtime.resolved_engine != "openvino" and runtime.providers == (CPU,):
            return
        # RapidOCR keeps the model's path only on its onnxruntime session.
        path = getattr(getattr(rec.session, "session", None), "_model_path", None)
        if not isinstance(path, str):
            log.warning("RapidOCR: model path not found, staying on onnxruntime")
            return
        session = replace(runtime, threads=self.threads).open_session(path)
        rec.session = _SessionCall(session, rec.session)
        self.engine = session.get_providers()[0]
        log.debug("RapidOCR recognition on %s", self.engine)

    def predict(self, crop: np.ndarray) -> OcrResult | None:
        return self.predict_many([crop])[0]

    def predict_many(self, crops: list[np.ndarray]) -> list[OcrResult | None]:
        # The recogniser batches crops of similar width in one ONNX run; the public __call__
        # takes one image, so go one level down for candidate lists.
        from rapidocr.ch_ppocr_rec import TextRecInput

        results: list[OcrResult | None] = [None] * len(crops)
        usable = [i for i, crop in enumerate(crops) if _usable(crop)]
        if not usable:
            return results
        images = [np.ascontiguousarray(_bgr(crops[i])) for i in usable]
        # return_word_box: the per-character confidences come with the word boxes.
        out = self._recogniser()(TextRecInput(img=images, return_word_box=True))
        words = out.word_results or ()
        for k, (i, text, score) in enumerate(zip(usable, out.txts or (), out.scores, strict=False)):
            if text:
                confs = getattr(words[k], "confs", None) if k < len(words) else None
                chars = tuple(float(c) for c in confs) if confs else ()
                if len(chars) != len(str(text)):
                    chars = ()  # not aligned with the text: better none than wrong ones
                results[i] = OcrResult(str(text), float(score), chars)
        return results


class _SessionCall:
    """RapidOCR's session interface (called with the batch, gives the first output) over one of
    ``RuntimeOptions.open_session``'s sessions; anything else asks the original session."""

    def __init__(self, session: Any, original: Any) -> None:
        self._session = session
        self._input = session.get_inputs()[0].name
        self._original = original

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return np.asarray(self._session.run(None, {self._input: batch})[0])

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


def _bgr(crop: np.ndarray) -> np.ndarray:
    if crop.ndim == 2:
        return np.stack([crop] * 3, axis=-1)
    return crop
