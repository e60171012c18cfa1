"""RapidOCR's recognition model on the detectors' engine: OpenVINO reads what onnxruntime reads."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from detectors.runtime import RuntimeOptions
from plate_reader.ocr import make_ocr
from plate_reader.ocr_rapid import RapidOcr
from tests.plate_reader.test_reader import render_plate

pytestmark = pytest.mark.slow

PLATES = (["75A-123.45"], ["51G-881.23"], ["30K-551.02"])


def _crops() -> list[np.ndarray]:
    return [render_plate(rows, 470, 110) for rows in PLATES]


def _texts(ocr: RapidOcr) -> list[str]:
    return [r.text if r else "" for r in ocr.predict_many(_crops())]


@pytest.mark.skipif(importlib.util.find_spec("openvino") is None, reason="openvino missing")
def test_openvino_engine_reads_like_onnxruntime() -> None:
    on_ort = RapidOcr(runtime=RuntimeOptions(providers=("cpu",), threads=1, engine="onnxruntime"))
    on_ov = RapidOcr(runtime=RuntimeOptions(providers=("cpu",), threads=1, engine="openvino"))
    ort_texts, ov_texts = _texts(on_ort), _texts(on_ov)
    assert on_ort.engine == "onnxruntime"
    assert on_ov.engine.startswith("OpenVINO-CPU")
    assert ov_texts == ort_texts
    assert ["".join(ch for ch in t if ch.isalnum()) for t in ov_texts] == [
        "75A12345", "51G88123", "30K55102"
    ]  # fmt: skip
    # Per-character confidences still come through (the fusion needs them).
    read = on_ov.predict(_crops()[0])
    assert read is not None and len(read.char_confidences) == len(read.text)


def test_threads_reach_every_model_of_a_fusion() -> None:
    fusion = make_ocr("fusion", threads=2, runtime=RuntimeOptions(engine="onnxruntime"))
    crnn, rapid = fusion.members  # type: ignore[attr-defined]
    assert rapid.threads == 2
    assert crnn._session.get_session_options().intra_op_num_threads == 2
    assert [r.text if r else "" for r in rapid.predict_many(_crops()[:1])] != [""]


def test_a_blank_or_tiny_crop_reads_nothing_on_either_engine() -> None:
    for engine in ("onnxruntime", "openvino"):
        if engine == "openvino" and importlib.util.find_spec("openvino") is None:
            continue
        ocr = RapidOcr(runtime=RuntimeOptions(providers=("cpu",), threads=1, engine=engine))
        blank = np.full((40, 120, 3), 255, np.uint8)
        tiny = np.zeros((2, 2, 3), np.uint8)
        empty = np.zeros((0, 0, 3), np.uint8)
        results = ocr.predict_many([blank, tiny, empty])
        assert results[1] is None and results[2] is None
        assert results[0] is None or not any(ch.isalnum() for ch in results[0].text)


def test_gpu_providers_are_followed_and_fall_back_to_the_cpu_when_missing() -> None:
    import onnxruntime as ort

    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("a GPU is here: the fallback is not what runs")
    ocr = RapidOcr(runtime=RuntimeOptions(providers=("cuda", "cpu"), engine="onnxruntime"))
    texts = _texts(ocr)
    assert ocr.engine == "CPUExecutionProvider"  # its own session was replaced, on the CPU
    assert "".join(ch for ch in texts[0] if ch.isalnum()) == "75A12345"
